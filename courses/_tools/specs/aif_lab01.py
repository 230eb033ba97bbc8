"""AI foundations, lab 1: Python functions and NumPy arrays on reactor temperature data."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "ai-foundations"
ASSIGNMENT = "lab01-python-numpy"
NOTEBOOK = "python_numpy"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. Python 함수와 NumPy 배열 — 반응기 온도 센서 데이터

        석유화학 공장의 반응기(reactor)에는 1분마다 온도를 기록하는 센서가 있습니다.
        이 실습에서는 24시간(1,440개) 측정값을 **NumPy array**로 다루며 다음을 연습합니다.

        1. 스칼라와 배열 모두에 동작하는 함수 (vectorization)
        2. 결측값(`NaN`)을 고려한 집계 (`np.nanmean`, `np.isnan`)
        3. 이동 평균(moving average)과 표준화(z-score)
        4. 간단한 이상치(spike) 탐지

        **규칙**: 각 함수의 `raise NotImplementedError()` 줄을 여러분의 코드로 바꾸세요. 잠긴(read-only) 셀은 수정하지 마세요.
        테스트 셀의 `assert`가 통과하면 점수를 받으며, 일부 테스트는 숨겨져(hidden tests) 있어
        제출 후 채점 때만 실행됩니다. 반복문보다 NumPy 연산을 쓰는 것을 권장합니다.
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np

        # 재현 가능한 합성 데이터 (fixed seed): 일교차 + 잡음 + 결측 + 스파이크
        rng = np.random.default_rng(2026)
        minutes = np.arange(1440)
        temperature_c = 180.0 + 5.0 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 0.8, 1440)
        missing_idx = rng.choice(1440, size=12, replace=False)
        temperature_c[missing_idx] = np.nan
        SPIKES = np.array([200, 615, 1207])
        temperature_c[SPIKES] += np.array([9.0, -10.0, 11.0])
        print("측정값:", temperature_c.shape, "결측:", int(np.isnan(temperature_c).sum()))
        """,
    ),
    instructions(
        "task_kelvin",
        """
        ## 1. 단위 변환 (1점)

        `to_kelvin(celsius)`를 작성하세요. 섭씨(°C)를 켈빈(K)으로 바꿉니다: K = °C + 273.15.
        스칼라(`float`)와 NumPy 배열 모두에 동작해야 하고, `NaN`은 `NaN`으로 남아야 합니다.
        """,
    ),
    solution(
        "to_kelvin",
        '''
        def to_kelvin(celsius):
            """Convert Celsius to Kelvin (scalar or array)."""
            ### BEGIN SOLUTION
            return np.asarray(celsius, dtype=float) + 273.15
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_to_kelvin",
        1,
        """
        assert np.isclose(to_kelvin(0.0), 273.15)
        assert np.allclose(to_kelvin(np.array([-273.15, 100.0])), [0.0, 373.15])
        assert np.isnan(to_kelvin(np.nan))
        """,
    ),
    instructions(
        "task_range",
        """
        ## 2. 운전 범위 이탈 개수 (2점)

        `count_out_of_range(values, low, high)`는 `low` 미만이거나 `high` 초과인 측정값의 **개수**를
        `int`로 돌려줍니다. 결측값(`NaN`)은 세지 않습니다. 경계값(`low`, `high`와 같음)은 정상입니다.
        """,
    ),
    solution(
        "count_out_of_range",
        '''
        def count_out_of_range(values, low, high):
            """Number of non-NaN values outside [low, high]."""
            ### BEGIN SOLUTION
            values = np.asarray(values, dtype=float)
            valid = values[~np.isnan(values)]
            return int(np.count_nonzero((valid < low) | (valid > high)))
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_count_out_of_range",
        2,
        """
        assert count_out_of_range([1.0, 5.0, 10.0, np.nan], 2.0, 9.0) == 2
        assert count_out_of_range([2.0, 9.0], 2.0, 9.0) == 0
        assert isinstance(count_out_of_range(temperature_c, 170.0, 190.0), int)
        ### BEGIN HIDDEN TESTS
        expected = int(np.sum((temperature_c < 175.0) | (temperature_c > 185.0)))
        assert count_out_of_range(temperature_c, 175.0, 185.0) == expected
        assert count_out_of_range(np.array([np.nan, np.nan]), 0.0, 1.0) == 0
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_moving_average",
        """
        ## 3. 이동 평균 (3점)

        `moving_average(x, window)`는 길이 `window`의 단순 이동 평균(simple moving average)을
        **valid** 구간에서만 계산하여 길이 `len(x) - window + 1`인 배열을 돌려줍니다.
        `window`가 1보다 작거나 `len(x)`보다 크면 `ValueError`를 발생시키세요.
        힌트: `np.convolve(x, np.ones(window) / window, mode="valid")` 또는 `np.cumsum`.
        """,
    ),
    solution(
        "moving_average",
        '''
        def moving_average(x, window):
            """Simple moving average over full windows only."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            if window < 1 or window > len(x):
                raise ValueError(f"window must be in [1, {len(x)}], got {window}")
            return np.convolve(x, np.ones(window) / window, mode="valid")
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_moving_average",
        3,
        """
        out = moving_average([1, 2, 3, 4, 5], 2)
        assert np.allclose(out, [1.5, 2.5, 3.5, 4.5])
        assert len(moving_average(np.arange(100), 10)) == 91
        ### BEGIN HIDDEN TESTS
        assert np.allclose(moving_average([3.0, 4.0], 1), [3.0, 4.0])
        assert np.allclose(moving_average([1.0, 2.0, 6.0], 3), [3.0])
        for bad in (0, 4):
            try:
                moving_average([1.0, 2.0, 3.0], bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"window={bad} must raise ValueError")
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_zscore",
        """
        ## 4. 표준화와 스파이크 탐지 (4점)

        - `zscore(x)`: 결측값을 제외한 평균과 표준편차(`np.nanmean`, `np.nanstd`, ddof=0)로
          `(x - mean) / std`를 계산합니다. `NaN`은 그대로 `NaN`입니다.
        - `detect_spikes(x, threshold=3.0)`: 원래 값에는 일교차(trend)가 있어 그대로 z-score를
          쓰면 속기 쉽습니다. 아래에 제공된 `moving_median(x)`(창 크기 31의 이동 중앙값)로
          잔차(residual) `x - moving_median(x)`를 구하고, `zscore(residual)`의 절댓값이
          `threshold`보다 큰 위치의 **인덱스 배열**(오름차순, `np.flatnonzero`)을 돌려주세요.
          결측 위치는 스파이크가 아닙니다.
        """,
    ),
    locked_code(
        "moving_median",
        """
        def moving_median(x, window=31):
            # 가장자리는 반사(reflect) 패딩, NaN은 무시하는 이동 중앙값
            x = np.asarray(x, dtype=float)
            half = window // 2
            padded = np.pad(x, half, mode="reflect")
            view = np.lib.stride_tricks.sliding_window_view(padded, window)
            return np.nanmedian(view, axis=1)
        """,
    ),
    solution(
        "zscore_spikes",
        '''
        def zscore(x):
            """Standard score ignoring NaN; NaN stays NaN."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return (x - np.nanmean(x)) / np.nanstd(x)
            ### END SOLUTION


        def detect_spikes(x, threshold=3.0):
            """Indices where |zscore(x - moving_median(x))| > threshold."""
            ### BEGIN SOLUTION
            residual = np.asarray(x, dtype=float) - moving_median(x)
            z = zscore(residual)
            return np.flatnonzero(np.abs(np.nan_to_num(z)) > threshold)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_zscore",
        2,
        """
        z = zscore([1.0, 2.0, 3.0, np.nan])
        assert np.isnan(z[3])
        assert np.allclose(z[:3], [-1.224744871, 0.0, 1.224744871])
        ### BEGIN HIDDEN TESTS
        zt = zscore(temperature_c)
        assert abs(np.nanmean(zt)) < 1e-9 and abs(np.nanstd(zt) - 1.0) < 1e-9
        assert np.isnan(zt).sum() == np.isnan(temperature_c).sum()
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_detect_spikes",
        2,
        """
        found = detect_spikes(temperature_c)
        print("탐지된 스파이크:", found)
        assert isinstance(found, np.ndarray)
        ### BEGIN HIDDEN TESTS
        assert set(SPIKES.tolist()) <= set(found.tolist())
        assert len(found) <= 6, "too many false alarms"
        assert list(found) == sorted(found)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        실제 공장에서 센서 값이 갑자기 튀었습니다. 이것이 **센서 오류(결측·노이즈)** 인지
        **실제 공정 이상**인지 어떻게 구분하겠습니까? 이 실습의 방법(z-score, 이동 중앙값)의
        한계 한 가지와, 현장에서 추가로 확인할 정보 한 가지를 3~5문장으로 쓰세요.

        *채점 기준(rubric)*: 한계를 구체적으로 지적(1점), 현장 정보(다른 센서, 정비 기록,
        운전 조건 변경 등)를 근거와 함께 제시(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) z-score는 전체 분포가 정규분포에 가깝다고 가정하고 한 센서만 봅니다.
        운전 조건이 바뀌면(부하 변경, 배치 시작) 정상 변화도 스파이크로 보일 수 있습니다.
        현장에서는 같은 반응기의 압력·유량 센서가 동시에 변했는지, 그 시각의 정비·교정 기록이
        있는지 확인합니다. 다른 센서가 함께 변했으면 공정 이상, 혼자 튀었으면 센서 오류일
        가능성이 큽니다.
        """,
    ),
]
