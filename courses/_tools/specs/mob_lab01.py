"""Smart mobility, lab 1: EV battery state of health and end-of-life prediction."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-mobility-ev"
ASSIGNMENT = "lab01-battery-soh"
NOTEBOOK = "battery_soh"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. EV 배터리 건강 상태(SoH)와 수명 예측

        전기차 배터리 팩의 셀(cell)은 충·방전 사이클을 거듭할수록 용량이 줄어듭니다.
        **SoH**(state of health) = 현재 용량 / 정격 용량(nominal capacity)이며, 보통 **80 %** 가 되면
        차량용 수명 종료(EOL, end of life)로 보고 ESS(에너지 저장 장치) 등으로 재사용합니다.

        데이터: 정격 50 Ah 파우치 셀 6개를 25·35·45 °C에서 600 사이클 시험한 합성 데이터
        (2 사이클마다 측정, 측정 잡음 포함). 고온일수록 열화(degradation)가 빠르고, 후반에는 열화가
        갑자기 빨라지는 **knee** 구간이 있습니다.

        구현할 것:
        1. SoH 계산과 셀별 이동 중앙값 평활화 (pandas `groupby` + `rolling`)
        2. 최소제곱(least squares) 직선 적합
        3. 최근 구간 추세로 EOL 사이클 외삽(extrapolation)
        4. 온도별 열화 속도 비교
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        NOMINAL_AH = 50.0

        def make_cycling(seed=3):
            rng = np.random.default_rng(seed)
            rows = []
            for cell, temp in enumerate([25, 25, 35, 35, 45, 45], start=1):
                k = 1.2e-4 * 2 ** ((temp - 25) / 10)      # 10 °C마다 열화 속도 2배 (Arrhenius 근사)
                knee = 700 - 8 * (temp - 25) + rng.integers(-30, 30)
                for cycle in range(1, 601, 2):
                    fade = k * cycle + (3e-7 * (cycle - knee) ** 2 if cycle > knee else 0.0)
                    rows.append((f"C{cell:02d}", cycle, temp, round(NOMINAL_AH * (1 - fade) + rng.normal(0, 0.08), 3)))
            table = pd.DataFrame(rows, columns=["cell_id", "cycle", "temp_c", "capacity_ah"])
            return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)   # 로그는 순서가 섞여 옴

        cycling = make_cycling()
        print(cycling.shape)
        cycling.head()
        """,
    ),
    instructions(
        "task_soh",
        """
        ## 1. SoH와 평활화 (4점)

        - `soh(capacity_ah, nominal_ah=NOMINAL_AH)`: 용량 / 정격 용량 (스칼라·배열·`Series` 모두)
        - `add_soh(df, window=5)`: 입력을 바꾸지 않고, `cell_id`·`cycle` 순으로 정렬하고 인덱스를 다시 매긴
          **새** `DataFrame`에 두 열을 추가합니다.
          - `soh`: 위의 SoH
          - `soh_smooth`: **셀별로** 계산한 `soh`의 이동 중앙값 (`rolling(window, min_periods=1).median()`,
            현재 행과 그 이전 행들만 사용). 다른 셀의 값이 섞이면 안 됩니다.
        """,
    ),
    solution(
        "soh",
        '''
        def soh(capacity_ah, nominal_ah=NOMINAL_AH):
            """State of health as a fraction of the nominal capacity."""
            ### BEGIN SOLUTION
            return capacity_ah / nominal_ah
            ### END SOLUTION


        def add_soh(df, window=5):
            """Sorted copy with soh and a per-cell trailing rolling median soh_smooth."""
            ### BEGIN SOLUTION
            out = df.sort_values(["cell_id", "cycle"]).reset_index(drop=True)
            out["soh"] = soh(out["capacity_ah"])
            out["soh_smooth"] = out.groupby("cell_id")["soh"].transform(
                lambda s: s.rolling(window, min_periods=1).median()
            )
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_soh",
        4,
        """
        assert np.isclose(soh(40.0), 0.8)
        before = cycling.copy()
        data = add_soh(cycling)
        assert cycling.equals(before), "add_soh must not modify its input"
        assert {"soh", "soh_smooth"} <= set(data.columns) and len(data) == len(cycling)
        assert data["cycle"].iloc[0] == 1 and data["cell_id"].iloc[0] == "C01"
        ### BEGIN HIDDEN TESTS
        assert np.allclose(data["soh"], data["capacity_ah"] / 50.0)
        c2 = data[data.cell_id == "C02"].reset_index(drop=True)
        assert np.isclose(c2.loc[0, "soh_smooth"], c2.loc[0, "soh"]), "first value of each cell is its own"
        assert np.isclose(c2.loc[10, "soh_smooth"], np.median(c2.loc[6:10, "soh"]))
        assert list(data.index) == list(range(len(data)))
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_fit",
        """
        ## 2. 최소제곱 직선 (3점)

        `fit_line(x, y)`는 $y \\approx a x + b$의 최소제곱 해 `(a, b)`를 `float` 튜플로 돌려줍니다.
        닫힌 해(closed form) $a = \\frac{\\sum (x-\\bar x)(y-\\bar y)}{\\sum (x-\\bar x)^2}$, $b = \\bar y - a\\bar x$
        또는 `np.linalg.lstsq`를 쓰세요. 점이 2개 미만이거나 `x`가 모두 같으면 `ValueError`.
        """,
    ),
    solution(
        "fit_line",
        '''
        def fit_line(x, y):
            """Least-squares slope and intercept; ValueError for a degenerate x."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            y = np.asarray(y, dtype=float)
            if len(x) < 2 or np.ptp(x) == 0:
                raise ValueError("need at least two distinct x values")
            dx = x - x.mean()
            a = float(np.sum(dx * (y - y.mean())) / np.sum(dx**2))
            return a, float(y.mean() - a * x.mean())
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_fit_line",
        3,
        """
        a, b = fit_line([0, 1, 2, 3], [1, 3, 5, 7])
        assert np.isclose(a, 2.0) and np.isclose(b, 1.0)
        ### BEGIN HIDDEN TESTS
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 10, 200)
        y = -0.5 * x + 4 + rng.normal(0, 0.1, 200)
        assert np.allclose(fit_line(x, y), np.polyfit(x, y, 1))
        for bad in (([1.0], [2.0]), ([2.0, 2.0], [1.0, 3.0])):
            try:
                fit_line(*bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{bad} must raise ValueError")
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_eol",
        """
        ## 3. 수명 종료(EOL) 사이클 예측 (4점)

        `predict_eol(cycles, soh_values, threshold=0.8, last_n=50)`: 마지막 `last_n`개 점(사이클 순서 기준)에
        직선을 맞추고, 그 직선이 `threshold`에 닿는 사이클을 `float`로 돌려줍니다. 기울기가 0 이상이면
        (열화가 보이지 않으면) `np.inf`. 이미 `threshold` 아래라도 직선의 교차점을 그대로 돌려줍니다.
        남은 수명(RUL, remaining useful life) = EOL − 현재 사이클입니다.
        """,
    ),
    solution(
        "eol",
        '''
        def predict_eol(cycles, soh_values, threshold=0.8, last_n=50):
            """Cycle where a line fitted to the last points reaches threshold (inf if not fading)."""
            ### BEGIN SOLUTION
            cycles = np.asarray(cycles, dtype=float)
            soh_values = np.asarray(soh_values, dtype=float)
            order = np.argsort(cycles)[-last_n:]
            a, b = fit_line(cycles[order], soh_values[order])
            if a >= 0:
                return np.inf
            return float((threshold - b) / a)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_eol",
        4,
        """
        assert np.isclose(predict_eol([0, 100, 200], [1.0, 0.95, 0.9]), 400.0)
        assert predict_eol([1, 2, 3], [0.9, 0.9, 0.91]) == np.inf
        data = add_soh(cycling)
        for cell, part in data.groupby("cell_id"):
            eol = predict_eol(part["cycle"], part["soh_smooth"])
            print(cell, part["temp_c"].iloc[0], "°C  EOL ≈", round(eol) if np.isfinite(eol) else eol)
        ### BEGIN HIDDEN TESTS
        assert np.isclose(predict_eol([300, 0, 100, 200], [0.85, 1.0, 0.95, 0.9], last_n=2), 400.0)
        hot = data[data.cell_id == "C05"]
        cool = data[data.cell_id == "C01"]
        assert predict_eol(hot["cycle"], hot["soh_smooth"]) < 600 < predict_eol(cool["cycle"], cool["soh_smooth"])
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_fade",
        """
        ## 4. 온도별 열화 속도 (2점)

        `fade_table(df)`: `add_soh`의 결과를 받아 셀별로 `temp_c`와 `fade_per_100`(= 전체 점에 맞춘
        `soh`-`cycle` 직선 기울기 × (−100), 100 사이클당 SoH 감소량)을 가진 `DataFrame`
        (인덱스 `cell_id`, 정렬)을 돌려줍니다.
        """,
    ),
    solution(
        "fade",
        '''
        def fade_table(df):
            """Per cell: temp_c and fade_per_100 (SoH lost per 100 cycles)."""
            ### BEGIN SOLUTION
            rows = {}
            for cell, part in df.groupby("cell_id"):
                slope, _ = fit_line(part["cycle"], part["soh"])
                rows[cell] = {"temp_c": part["temp_c"].iloc[0], "fade_per_100": -100 * slope}
            return pd.DataFrame.from_dict(rows, orient="index").rename_axis("cell_id").sort_index()
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_fade",
        2,
        """
        fades = fade_table(add_soh(cycling))
        print(fades.round(4))
        assert list(fades.index) == ["C01", "C02", "C03", "C04", "C05", "C06"]
        ### BEGIN HIDDEN TESTS
        assert np.corrcoef(fades["temp_c"], fades["fade_per_100"])[0, 1] > 0.9
        c3 = add_soh(cycling).query("cell_id == 'C03'")
        assert np.isclose(fades.loc["C03", "fade_per_100"], -100 * np.polyfit(c3["cycle"], c3["soh"], 1)[0])
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        직선 외삽으로 EOL을 예측할 때 **knee** 이전의 데이터만 있다면 예측은 어느 쪽으로 틀릴까요?
        완성차 업체가 이 예측으로 배터리 보증(warranty) 기간을 정한다면 어떤 위험이 있고, 어떻게
        보완하겠습니까 (3~5문장)?

        *채점 기준*: knee 전 직선은 수명을 과대 추정(낙관)한다는 설명(1점), 보수적 여유·가속 수명 시험·
        불확실성 구간·현장 데이터로 갱신 등 보완책(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) knee 전에는 열화가 느리므로 직선이 완만하게 적합되어 EOL을 실제보다 늦게, 즉 수명을
        과대 추정합니다. 이 값으로 보증 기간을 정하면 보증 기간 안에 80 %에 도달하는 배터리가 많아져
        교체 비용이 커집니다. 고온 가속 수명 시험으로 knee를 먼저 관찰하고, 예측에 불확실성 구간을
        붙여 보수적인 하한으로 보증을 정하며, 운행 차량의 BMS 데이터로 모델을 계속 갱신합니다.
        """,
    ),
]
