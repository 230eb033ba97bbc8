"""Smart healthcare, lab 1: ward vital signs, artefact cleaning and an early-warning score."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-healthcare-vitals"
ASSIGNMENT = "lab01-early-warning"
NOTEBOOK = "early_warning"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. 병동 활력 징후와 조기 경보 점수

        병동 환자의 **활력 징후(vital signs)** — 심박수(HR), 호흡수(RR), 산소포화도(SpO2), 체온 — 를
        1분마다 기록합니다. 상태가 나빠지는 환자를 일찍 찾기 위해 병원은 **조기 경보 점수(early warning
        score)** 를 씁니다. 이 실습은 영국 NEWS2를 단순화한 **교육용** 점수표를 씁니다
        (실제 임상 판단에 쓰지 마세요).

        센서 데이터에는 실제처럼 **아티팩트(artefact)** 가 있습니다: 손가락 탐침이 빠지면 SpO2 = 0,
        몸을 움직이면 HR이 260 이상으로 튀고, 잠깐씩 값이 비어(NaN) 있습니다.

        구현할 것:
        1. 생리적으로 불가능한 값 제거와 짧은 결측 채우기 (`groupby` + `ffill(limit=...)`)
        2. 점수표를 벡터화해서 계산하기 (`np.select`)
        3. 일정 시간 이상 지속된 고득점만 경보로 내기 (alert fatigue 줄이기)
        4. 실제 악화 시점과 비교한 경보 선행 시간(lead time)
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        def make_ward(seed=17, n_patients=10, minutes=720):
            rng = np.random.default_rng(seed)
            frames, onsets = [], {}
            for p in range(1, n_patients + 1):
                m = np.arange(minutes)
                hr = 75 + rng.normal(0, 3, minutes) + 4 * np.sin(2 * np.pi * m / 300)
                rr = 15 + rng.normal(0, 1.0, minutes)
                spo2 = 97 + rng.normal(0, 0.7, minutes)
                temp = 36.8 + rng.normal(0, 0.1, minutes)
                if p % 3 == 0:   # 악화 (예: 패혈증 초기) — 3시간에 걸쳐 진행
                    onset = int(rng.integers(200, 450))
                    onsets[f"P{p:02d}"] = onset
                    ramp = np.clip((m - onset) / 180, 0, 1)
                    hr, rr, spo2, temp = hr + 45 * ramp, rr + 12 * ramp, spo2 - 6 * ramp, temp + 2.0 * ramp
                spo2[rng.choice(minutes, 8, replace=False)] = 0                    # 탐침 빠짐
                hr[rng.choice(minutes, 6, replace=False)] = rng.uniform(260, 300, 6)   # 움직임
                hr[rng.choice(minutes, 10, replace=False)] = np.nan                # 전송 누락
                frames.append(pd.DataFrame({
                    "patient_id": f"P{p:02d}", "minute": m, "hr": hr.round(0), "rr": rr.round(0),
                    "spo2": spo2.round(0), "temp_c": temp.round(1),
                }))
            return pd.concat(frames, ignore_index=True), onsets

        ward, ONSETS = make_ward()
        print(ward.shape, "deteriorating patients:", ONSETS)
        """,
    ),
    instructions(
        "task_clean",
        """
        ## 1. 아티팩트 정리 (4점)

        `clean_vitals(df, max_gap=5)`: 입력을 바꾸지 않고 새 `DataFrame`을 돌려줍니다.
        1. 범위를 벗어난 값을 `NaN`으로: `hr` 20~250, `rr` 4~60, `spo2` 50~100, `temp_c` 30~43 (경계 포함이 정상)
        2. 그다음 **환자별로**(`groupby("patient_id")`) 네 열의 결측을 앞의 값으로 채우되 최대 `max_gap`개까지만
           (`ffill(limit=max_gap)`). 다른 환자의 값이 넘어오면 안 됩니다.
        데이터는 `patient_id`, `minute` 순으로 정렬되어 있다고 가정합니다.
        """,
    ),
    solution(
        "clean",
        '''
        VITALS = {"hr": (20, 250), "rr": (4, 60), "spo2": (50, 100), "temp_c": (30, 43)}


        def clean_vitals(df, max_gap=5):
            """Out-of-range values -> NaN, then per-patient forward fill of at most max_gap rows."""
            ### BEGIN SOLUTION
            out = df.copy()
            for column, (low, high) in VITALS.items():
                out[column] = out[column].where(out[column].between(low, high))
            out[list(VITALS)] = out.groupby("patient_id")[list(VITALS)].ffill(limit=max_gap)
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_clean",
        4,
        """
        before = ward.copy()
        clean = clean_vitals(ward)
        assert ward.equals(before), "clean_vitals must not modify its input"
        assert clean["spo2"].min() >= 50 and clean["hr"].max() <= 250
        ### BEGIN HIDDEN TESTS
        toy = pd.DataFrame({"patient_id": ["A"] * 4 + ["B"] * 2, "minute": [0, 1, 2, 3, 0, 1],
                            "hr": [80, 300, np.nan, np.nan, np.nan, 70], "rr": [15] * 6,
                            "spo2": [97, 0, 98, 97, 96, 96], "temp_c": [36.5] * 6})
        got = clean_vitals(toy, max_gap=2)
        assert got["hr"].tolist()[:3] == [80, 80, 80] and np.isnan(got["hr"].iloc[3])
        assert np.isnan(got["hr"].iloc[4]), "no carry-over between patients"
        assert got["spo2"].tolist()[:2] == [97, 97]
        assert clean_vitals(toy.assign(hr=[20, 250, 80, 80, 80, 80]))["hr"].tolist()[:2] == [20, 250]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_score",
        """
        ## 2. 조기 경보 점수 (4점)

        `warning_score(df)`: 행마다 네 항목 점수의 합을 `float` 배열로 돌려줍니다. 네 값 중 하나라도 `NaN`이면
        그 행은 `NaN`입니다. 반복문 대신 `np.select(조건 목록, 점수 목록, default=0)`을 쓰세요.

        | 점수 | 3 | 2 | 1 | 0 | 1 | 2 | 3 |
        |---|---|---|---|---|---|---|---|
        | `rr` | ≤ 8 | | 9–11 | 12–20 | | 21–24 | ≥ 25 |
        | `spo2` | ≤ 91 | 92–93 | 94–95 | ≥ 96 | | | |
        | `temp_c` | ≤ 35.0 | | 35.1–36.0 | 36.1–38.0 | 38.1–39.0 | ≥ 39.1 | |
        | `hr` | ≤ 40 | | 41–50 | 51–90 | 91–110 | 111–130 | ≥ 131 |

        (값은 정수 또는 소수 첫째 자리까지입니다. 예: `temp_c` 38.1~39.0은 1점, 39.1 이상은 2점.)
        """,
    ),
    solution(
        "score",
        '''
        def _bands(x, edges, points):
            """points[i] for the first edge with x <= edges[i]; points[-1] above the last edge."""
            return np.select([x <= e for e in edges], points[:-1], default=points[-1])


        def warning_score(df):
            """Sum of the four sub-scores per row; NaN where any vital is missing."""
            ### BEGIN SOLUTION
            rr, spo2 = df["rr"].to_numpy(float), df["spo2"].to_numpy(float)
            temp, hr = df["temp_c"].to_numpy(float), df["hr"].to_numpy(float)
            total = (
                _bands(rr, [8, 11, 20, 24], [3, 1, 0, 2, 3])
                + _bands(spo2, [91, 93, 95], [3, 2, 1, 0])
                + _bands(temp, [35.0, 36.0, 38.0, 39.0], [3, 1, 0, 1, 2])
                + _bands(hr, [40, 50, 90, 110, 130], [3, 1, 0, 1, 2, 3])
            ).astype(float)
            missing = np.isnan(rr) | np.isnan(spo2) | np.isnan(temp) | np.isnan(hr)
            return np.where(missing, np.nan, total)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_score",
        4,
        """
        normal = pd.DataFrame({"hr": [75], "rr": [15], "spo2": [97], "temp_c": [36.8]})
        assert warning_score(normal).tolist() == [0.0]
        sick = pd.DataFrame({"hr": [135], "rr": [26], "spo2": [90], "temp_c": [39.2]})
        assert warning_score(sick).tolist() == [11.0]
        ### BEGIN HIDDEN TESTS
        edges = pd.DataFrame({"hr": [40, 41, 50, 51, 90, 91, 110, 111, 130, 131],
                              "rr": [8, 9, 11, 12, 20, 21, 24, 25, 15, 15],
                              "spo2": [91, 92, 93, 94, 95, 96, 100, 97, 97, 97],
                              "temp_c": [35.0, 35.1, 36.0, 36.1, 38.0, 38.1, 39.0, 39.1, 36.5, 36.5]})
        expected = [3 + 3 + 3 + 3, 1 + 1 + 2 + 1, 1 + 1 + 2 + 1, 0 + 0 + 1 + 0, 0 + 0 + 1 + 0,
                    1 + 2 + 0 + 1, 1 + 2 + 0 + 1, 2 + 3 + 0 + 2, 2, 3]
        assert warning_score(edges).tolist() == expected
        assert np.isnan(warning_score(normal.assign(hr=[np.nan]))[0])
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_alerts",
        """
        ## 3. 지속 경보와 선행 시간 (4점)

        점수가 한 번 튀었다고 매번 간호사를 부르면 **경보 피로(alert fatigue)** 가 생깁니다.

        - `first_alerts(df, scores, threshold=5, sustain=15)`: 환자별로 점수가 `threshold` 이상인 상태가
          **연속 `sustain`분** 이어진 첫 시점(그 연속 구간이 `sustain`분째가 되는 행의 `minute`)을 찾아
          `{patient_id: minute}` 딕셔너리로 돌려줍니다. 경보가 없는 환자는 넣지 않습니다. `NaN` 점수는
          연속을 끊습니다.
        - `lead_times(alerts, onsets, horizon=180)`: 악화 환자마다 `onset + horizon - alert_minute`
          (악화가 완전히 진행되기 전 몇 분 먼저 알았는가)를 담은 딕셔너리. 경보가 없으면 값은 `None`.
        """,
    ),
    solution(
        "alerts",
        '''
        def first_alerts(df, scores, threshold=5, sustain=15):
            """{patient_id: minute} where score >= threshold has held for sustain rows."""
            ### BEGIN SOLUTION
            high = pd.Series(np.asarray(scores) >= threshold, index=df.index)
            alerts = {}
            for patient, rows in df.groupby("patient_id"):
                run = 0
                for idx, is_high in zip(rows.index, high.loc[rows.index]):
                    run = run + 1 if is_high else 0
                    if run == sustain:
                        alerts[patient] = int(rows.loc[idx, "minute"])
                        break
            return alerts
            ### END SOLUTION


        def lead_times(alerts, onsets, horizon=180):
            """onset + horizon - alert for each deteriorating patient (None without an alert)."""
            ### BEGIN SOLUTION
            return {p: (onset + horizon - alerts[p] if p in alerts else None) for p, onset in onsets.items()}
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_alerts",
        4,
        """
        clean = clean_vitals(ward)
        scores = warning_score(clean)
        alerts = first_alerts(clean, scores)
        print("alerts:", alerts)
        print("lead times (min):", lead_times(alerts, ONSETS))
        toy = pd.DataFrame({"patient_id": ["A"] * 6, "minute": range(6)})
        assert first_alerts(toy, [6, 6, np.nan, 6, 6, 6], threshold=5, sustain=3) == {"A": 5}
        ### BEGIN HIDDEN TESTS
        assert set(alerts) == set(ONSETS), "alert exactly the deteriorating patients"
        lt = lead_times(alerts, ONSETS)
        assert all(v is not None and 0 < v < 180 for v in lt.values())
        assert lead_times({}, {"X": 10}) == {"X": None}
        assert first_alerts(toy, [4, 4, 4, 4, 4, 4], threshold=5, sustain=1) == {}
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        `sustain`을 15분에서 5분으로 줄이면 무엇을 얻고 무엇을 잃습니까? 병동 간호 인력이 적은 야간에
        이 값을 어떻게 정하고, 경보 규칙을 바꿀 때 누가 검토해야 하는지 3~5문장으로 쓰세요.

        *채점 기준*: 선행 시간↑ 대 오경보·경보 피로↑의 상충(1점), 임상의·간호 책임자 검토, 과거 데이터
        검증과 변경 기록 등 의료기기·환자 안전 관점의 절차(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 5분으로 줄이면 악화를 조금 더 일찍 알지만, 움직임이나 탐침 문제로 잠깐 높아진 점수에도
        경보가 울려 오경보가 늘고 간호사가 경보를 무시하게 되는 경보 피로가 생깁니다. 야간처럼 인력이 적을
        때는 과거 병동 데이터로 값별 오경보 수와 선행 시간을 비교해 감당 가능한 경보 수 안에서 정합니다.
        규칙 변경은 담당 임상의와 간호 책임자가 검토·승인하고, 변경 이력을 남기며 적용 후 결과를 점검합니다.
        """,
    ),
]
