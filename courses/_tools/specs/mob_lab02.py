"""Smart mobility, lab 2: driving-event detection from vehicle acceleration."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-mobility-ev"
ASSIGNMENT = "lab02-driving-events"
NOTEBOOK = "driving_events"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. 주행 이벤트 탐지 — 급제동·급가속·급회전

        상용차·전기 버스의 텔레매틱스(telematics) 단말은 가속도 센서(IMU)로 운전 습관을 기록합니다.
        **급제동(harsh braking)**, **급가속(harsh acceleration)**, **급회전(sharp turn)** 은 사고 위험,
        배터리 소모, 부품 마모와 관련이 있어 운전자 코칭과 차량 관리에 쓰입니다.

        데이터: 10 Hz로 기록한 10분 주행의 종방향 가속도 `ax`(앞 +)와 횡방향 가속도 `ay`(m/s²),
        노면 진동 잡음 포함. 정답 이벤트 목록 `truth`가 함께 주어집니다.

        구현할 것:
        1. 지수 이동 평균(EMA, exponential moving average) 저역 통과 필터(low-pass filter)
        2. 임계값을 일정 시간 이상 넘는 구간(run) 찾기
        3. 세 종류 이벤트 탐지
        4. 시간 허용 오차로 정답과 맞추어 precision/recall 평가
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        FS = 10  # Hz

        def make_trip(seed=8, minutes=10):
            rng = np.random.default_rng(seed)
            n = minutes * 60 * FS
            t = np.arange(n) / FS
            ax = 0.6 * np.sin(2 * np.pi * t / 40) + rng.normal(0, 0.35, n)    # 완만한 가감속 + 노면 잡음
            ay = 0.8 * np.sin(2 * np.pi * t / 55) + rng.normal(0, 0.35, n)
            truth, start = [], 20.0
            kinds = ["harsh_brake", "harsh_accel", "sharp_turn"]
            while start < t[-1] - 15:
                kind = kinds[rng.integers(0, 3)]
                dur = rng.uniform(1.2, 2.5)
                mask = (t >= start) & (t < start + dur)
                shape = np.sin(np.pi * (t[mask] - start) / dur) ** 0.5
                if kind == "harsh_brake":
                    ax[mask] -= rng.uniform(4.5, 6.5) * shape
                elif kind == "harsh_accel":
                    ax[mask] += rng.uniform(3.8, 5.0) * shape
                else:
                    ay[mask] += rng.choice([-1, 1]) * rng.uniform(4.8, 6.5) * shape
                truth.append((round(start, 1), round(start + dur, 1), kind))
                start += rng.uniform(18, 40)
            return t, ax, ay, pd.DataFrame(truth, columns=["start_s", "end_s", "type"])

        t, ax, ay, truth = make_trip()
        print(len(t), "samples,", len(truth), "events:", truth["type"].value_counts().to_dict())
        """,
    ),
    instructions(
        "task_filter",
        """
        ## 1. 저역 통과 필터 (3점)

        `ema(x, alpha)`: $y_0 = x_0$, $y_i = \\alpha x_i + (1-\\alpha) y_{i-1}$. `0 < alpha <= 1`이 아니면
        `ValueError`. 같은 길이의 `float` 배열을 돌려줍니다. 작은 `alpha`일수록 잡음이 줄지만 신호가 늦어집니다.
        """,
    ),
    solution(
        "ema",
        '''
        def ema(x, alpha):
            """Exponential moving average; ValueError unless 0 < alpha <= 1."""
            ### BEGIN SOLUTION
            if not 0 < alpha <= 1:
                raise ValueError(f"alpha must be in (0, 1], got {alpha}")
            x = np.asarray(x, dtype=float)
            y = np.empty_like(x)
            acc = x[0] if len(x) else 0.0
            for i, value in enumerate(x):
                acc = alpha * value + (1 - alpha) * acc
                y[i] = acc
            return y
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_ema",
        3,
        """
        assert np.allclose(ema([0.0, 10.0, 10.0], 0.5), [0.0, 5.0, 7.5])
        assert np.allclose(ema([1.0, 2.0, 3.0], 1.0), [1.0, 2.0, 3.0])
        ### BEGIN HIDDEN TESTS
        for bad in (0.0, 1.5, -0.1):
            try:
                ema([1.0, 2.0], bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"alpha={bad} must raise ValueError")
        smooth = ema(ax, 0.3)
        assert smooth.shape == ax.shape and np.std(np.diff(smooth)) < np.std(np.diff(ax))
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_runs",
        """
        ## 2. 임계값 초과 구간 (4점)

        `find_runs(mask, min_len)`: 불리언 배열 `mask`에서 연속으로 `True`인 구간 중 길이가 `min_len` 이상인
        것들을 `[(start, end), ...]`로 돌려줍니다 (`end`는 구간 다음 인덱스, 파이썬 슬라이스와 같은 규칙;
        시작 순서). 힌트: `np.diff(np.concatenate([[0], mask.astype(int), [0]]))`의 +1과 −1 위치.
        """,
    ),
    solution(
        "runs",
        '''
        def find_runs(mask, min_len):
            """[(start, end)] of True runs with end - start >= min_len (end exclusive)."""
            ### BEGIN SOLUTION
            edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=int), [0]]))
            starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= min_len]
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_runs",
        4,
        """
        mask = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1], dtype=bool)
        assert find_runs(mask, 2) == [(1, 3), (4, 7)]
        assert find_runs(mask, 3) == [(4, 7)]
        ### BEGIN HIDDEN TESTS
        assert find_runs(mask, 1) == [(1, 3), (4, 7), (8, 9)]
        assert find_runs(np.ones(4, dtype=bool), 2) == [(0, 4)]
        assert find_runs(np.zeros(5, dtype=bool), 1) == []
        assert all(isinstance(v, int) for run in find_runs(mask, 1) for v in run)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_detect",
        """
        ## 3. 이벤트 탐지 (3점)

        `detect_events(ax, ay, fs=FS, alpha=0.3, min_s=0.5)`: 먼저 `ema`로 두 신호를 거릅니다.
        그다음 표의 조건이 `min_s`초(= `round(min_s * fs)` 샘플) 이상 이어진 구간을 이벤트로 보고,
        열 `start_s`, `end_s`(= 인덱스 / `fs`), `type`을 가진 `DataFrame`을 `start_s` 순으로 돌려줍니다.

        | type | 조건 (필터된 값) |
        |---|---|
        | `harsh_brake` | `ax < -3.0` |
        | `harsh_accel` | `ax > 2.5` |
        | `sharp_turn` | `abs(ay) > 3.0` |
        """,
    ),
    solution(
        "detect",
        '''
        def detect_events(ax, ay, fs=FS, alpha=0.3, min_s=0.5):
            """DataFrame of start_s, end_s, type for each detected driving event."""
            ### BEGIN SOLUTION
            fx, fy = ema(ax, alpha), ema(ay, alpha)
            min_len = round(min_s * fs)
            rules = {"harsh_brake": fx < -3.0, "harsh_accel": fx > 2.5, "sharp_turn": np.abs(fy) > 3.0}
            rows = [
                (s / fs, e / fs, kind) for kind, mask in rules.items() for s, e in find_runs(mask, min_len)
            ]
            events = pd.DataFrame(rows, columns=["start_s", "end_s", "type"])
            return events.sort_values("start_s").reset_index(drop=True)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_detect",
        3,
        """
        events = detect_events(ax, ay)
        print(events.head(8))
        assert list(events.columns) == ["start_s", "end_s", "type"]
        assert set(events["type"]) <= {"harsh_brake", "harsh_accel", "sharp_turn"}
        ### BEGIN HIDDEN TESTS
        assert events["start_s"].is_monotonic_increasing
        assert abs(len(events) - len(truth)) <= 2
        quiet = detect_events(np.zeros(100), np.zeros(100))
        assert len(quiet) == 0 and list(quiet.columns) == ["start_s", "end_s", "type"]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_match",
        """
        ## 4. 정답과 맞추어 평가 (4점)

        `match_events(pred, truth, tolerance_s=1.0)`: 예측 이벤트가 같은 `type`이고, 시간 구간이
        `tolerance_s`만큼 넓힌 정답 구간과 겹치면(`pred.start_s <= truth.end_s + tol` 그리고
        `pred.end_s >= truth.start_s - tol`) 맞힌 것입니다. 정답 하나는 예측 하나와만 짝지을 수 있습니다
        (예측을 `start_s` 순으로 보며 아직 짝이 없는 첫 정답과 연결). `{"tp", "fp", "fn"}` 딕셔너리(`int`)를
        돌려줍니다.
        """,
    ),
    solution(
        "match",
        '''
        def match_events(pred, truth, tolerance_s=1.0):
            """Greedy one-to-one matching by type and widened overlap: tp, fp, fn counts."""
            ### BEGIN SOLUTION
            used = set()
            tp = 0
            for p in pred.sort_values("start_s").itertuples():
                for j, g in enumerate(truth.itertuples()):
                    if j in used or g.type != p.type:
                        continue
                    if p.start_s <= g.end_s + tolerance_s and p.end_s >= g.start_s - tolerance_s:
                        used.add(j)
                        tp += 1
                        break
            return {"tp": tp, "fp": len(pred) - tp, "fn": len(truth) - tp}
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_match",
        4,
        """
        g = pd.DataFrame({"start_s": [10.0, 50.0], "end_s": [12.0, 52.0], "type": ["harsh_brake", "sharp_turn"]})
        p = pd.DataFrame({"start_s": [12.5, 30.0], "end_s": [13.0, 31.0], "type": ["harsh_brake", "sharp_turn"]})
        assert match_events(p, g) == {"tp": 1, "fp": 1, "fn": 1}
        counts = match_events(detect_events(ax, ay), truth)
        precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
        recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
        print(counts, f"precision={precision:.2f} recall={recall:.2f}")
        ### BEGIN HIDDEN TESTS
        assert precision >= 0.9 and recall >= 0.9
        twice = pd.concat([p.iloc[:1], p.iloc[:1]])
        assert match_events(twice, g) == {"tp": 1, "fp": 1, "fn": 1}, "one truth event matches once"
        wrong_type = p.assign(type="harsh_accel")
        assert match_events(wrong_type, g)["tp"] == 0
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        운수 회사가 이 탐지 결과로 운전자별 "안전 점수"를 만들어 인사 평가에 쓰려고 합니다.
        같은 임계값을 승용차와 만차 화물차, 도심과 고속도로에 똑같이 쓰면 어떤 문제가 생기는지, 그리고
        운전자의 데이터를 다룰 때 지켜야 할 점(동의, 목적 제한, 이의 제기 등)을 3~5문장으로 쓰세요.

        *채점 기준*: 차종·적재·도로 조건에 따른 공정성 문제(1점), 동의·목적 제한·설명과 이의 제기 절차 등
        개인정보와 노동 측면의 보호 장치(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 무거운 화물차는 같은 제동에도 가속도가 작게 나오고, 도심 운전자는 신호와 끼어들기 때문에
        급제동이 잦을 수밖에 없어 같은 임계값은 특정 노선·차종의 운전자를 불리하게 만듭니다. 점수는 차종과
        노선별로 기준을 나누어 비교하고, 코칭 목적과 평가 목적을 구분해야 합니다. 운전자에게 어떤 데이터를
        무엇에 쓰는지 알리고 동의를 받으며, 점수의 근거(이벤트 시각과 값)를 볼 수 있게 하고 이의를 제기할
        절차를 둡니다.
        """,
    ),
]
