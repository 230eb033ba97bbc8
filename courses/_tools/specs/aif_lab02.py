"""AI foundations, lab 2: pandas on an automotive parts production log."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "ai-foundations"
ASSIGNMENT = "lab02-pandas-production"
NOTEBOOK = "production_log"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. pandas로 생산 로그 분석하기 — 자동차 부품 공장

        자동차 부품 공장의 세 생산 라인(`A`, `B`, `C`)은 주간(`D`)·야간(`N`) 2교대로 일합니다.
        MES(Manufacturing Execution System)에서 내려받은 14일치 **생산 로그**에는 실제 현장처럼
        중복 행(duplicate rows)과 결측값(missing values)이 섞여 있습니다.

        이 실습에서 연습할 것:
        1. 데이터 정제(data cleaning): 중복 제거, 결측값 처리, 정렬
        2. `groupby`와 집계(aggregation)로 라인별 불량률(defect rate) 구하기
        3. 일별 요약표 만들기와 최악의 (라인, 교대) 찾기

        각 함수의 `raise NotImplementedError()` 줄을 여러분의 코드로 바꾸세요.
        함수는 입력 `DataFrame`을 **변경하지 말고** 새 객체를 돌려주어야 합니다.
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        def make_log(seed=7):
            rng = np.random.default_rng(seed)
            dates = pd.date_range("2026-03-02", periods=14, freq="D")
            rows = []
            base_rate = {"A": 0.010, "B": 0.018, "C": 0.012}
            for date in dates:
                for line in ["A", "B", "C"]:
                    for shift in ["D", "N"]:
                        produced = int(rng.integers(380, 460))
                        rate = base_rate[line] * (1.6 if (line == "B" and shift == "N") else 1.0)
                        defects = int(rng.binomial(produced, rate))
                        downtime = int(rng.integers(0, 45))
                        rows.append((date, line, shift, produced, defects, downtime))
            log = pd.DataFrame(rows, columns=["date", "line", "shift", "produced", "defects", "downtime_min"])
            log["defects"] = log["defects"].astype("float64")
            log.loc[rng.choice(len(log), size=5, replace=False), "defects"] = np.nan
            dup = log.iloc[[3, 40, 41]]
            return pd.concat([log, dup]).sample(frac=1.0, random_state=seed).reset_index(drop=True)

        raw_log = make_log()
        print(raw_log.shape)
        raw_log.head()
        """,
    ),
    instructions(
        "task_clean",
        """
        ## 1. 데이터 정제 (3점)

        `clean_log(df)`는 다음을 순서대로 적용한 **새** `DataFrame`을 돌려줍니다.
        1. 모든 열이 같은 중복 행 제거 (`drop_duplicates`)
        2. `defects`의 결측값을 `0`으로 채우고 정수형(`int64`)으로 변환
        3. `date`, `line`, `shift` 순으로 정렬하고 인덱스를 0부터 다시 매김 (`reset_index(drop=True)`)

        (현장 메모: 결측 불량 수를 0으로 두는 것은 "기록 누락 = 불량 없음"이라는 가정입니다.
        이 가정의 위험은 마지막 질문에서 다룹니다.)
        """,
    ),
    solution(
        "clean_log",
        '''
        def clean_log(df):
            """Drop duplicates, fill missing defects with 0 (int64), sort, reset the index."""
            ### BEGIN SOLUTION
            out = df.drop_duplicates().copy()
            out["defects"] = out["defects"].fillna(0).astype("int64")
            return out.sort_values(["date", "line", "shift"]).reset_index(drop=True)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_clean_log",
        3,
        """
        before = raw_log.copy()
        log = clean_log(raw_log)
        assert raw_log.equals(before), "clean_log must not modify its input"
        assert len(log) == 84
        assert log["defects"].dtype == "int64"
        assert list(log.index) == list(range(84))
        ### BEGIN HIDDEN TESTS
        assert not log.duplicated().any()
        assert log["defects"].isna().sum() == 0
        keys = list(zip(log["date"], log["line"], log["shift"]))
        assert keys == sorted(keys)
        assert int(log["defects"].sum()) == int(raw_log.drop_duplicates()["defects"].fillna(0).sum())
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_rate",
        """
        ## 2. 라인별 불량률 (3점)

        `defect_rate_by_line(df)`는 정제된 로그에서 라인별 **불량률** = 불량 합계 / 생산 합계를
        계산하여, 라인 이름을 인덱스로 하는 `Series`를 **내림차순**으로 돌려줍니다.
        (행마다 비율을 구해 평균하면 안 됩니다 — 생산량이 다른 행을 똑같이 취급하게 됩니다.)
        """,
    ),
    solution(
        "defect_rate_by_line",
        '''
        def defect_rate_by_line(df):
            """Series line -> sum(defects) / sum(produced), sorted descending."""
            ### BEGIN SOLUTION
            totals = df.groupby("line")[["defects", "produced"]].sum()
            return (totals["defects"] / totals["produced"]).sort_values(ascending=False)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_defect_rate_by_line",
        3,
        """
        log = clean_log(raw_log)
        rates = defect_rate_by_line(log)
        print(rates.round(4))
        assert isinstance(rates, pd.Series)
        assert sorted(rates.index) == ["A", "B", "C"]
        assert rates.index[0] == "B", "line B has the highest defect rate"
        ### BEGIN HIDDEN TESTS
        a = log[log["line"] == "A"]
        assert np.isclose(rates["A"], a["defects"].sum() / a["produced"].sum())
        assert list(rates.values) == sorted(rates.values, reverse=True)
        toy = pd.DataFrame({"line": ["X", "X", "Y"], "produced": [100, 900, 10], "defects": [10, 0, 1]})
        assert np.isclose(defect_rate_by_line(toy)["X"], 0.01)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_daily",
        """
        ## 3. 일별 요약과 최악의 교대 (4점)

        - `daily_summary(df)`: `date`별로 `produced`, `defects`, `downtime_min`의 합계를 구하고
          `defect_rate` 열(= defects / produced)을 추가한 `DataFrame`(인덱스 `date`, 날짜 오름차순).
        - `worst_shift(df)`: 불량률(합계 기준)이 가장 높은 `(line, shift)` 튜플, 예: `("A", "N")`.
        """,
    ),
    solution(
        "daily_worst",
        '''
        def daily_summary(df):
            """Per-date sums of produced/defects/downtime_min plus defect_rate."""
            ### BEGIN SOLUTION
            out = df.groupby("date")[["produced", "defects", "downtime_min"]].sum().sort_index()
            out["defect_rate"] = out["defects"] / out["produced"]
            return out
            ### END SOLUTION


        def worst_shift(df):
            """(line, shift) with the highest pooled defect rate."""
            ### BEGIN SOLUTION
            totals = df.groupby(["line", "shift"])[["defects", "produced"]].sum()
            rate = totals["defects"] / totals["produced"]
            return tuple(rate.idxmax())
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_daily_summary",
        2,
        """
        log = clean_log(raw_log)
        daily = daily_summary(log)
        assert len(daily) == 14
        assert {"produced", "defects", "downtime_min", "defect_rate"} <= set(daily.columns)
        ### BEGIN HIDDEN TESTS
        assert daily.index.is_monotonic_increasing
        assert int(daily["produced"].sum()) == int(log["produced"].sum())
        assert np.allclose(daily["defect_rate"], daily["defects"] / daily["produced"])
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_worst_shift",
        2,
        """
        worst = worst_shift(clean_log(raw_log))
        print("worst:", worst)
        assert isinstance(worst, tuple) and len(worst) == 2
        ### BEGIN HIDDEN TESTS
        assert worst == ("B", "N")
        toy = pd.DataFrame({"line": ["X", "X", "Y"], "shift": ["D", "N", "D"],
                            "produced": [10, 10, 10], "defects": [1, 0, 5]})
        assert worst_shift(toy) == ("Y", "D")
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        1번에서 불량 수의 결측값을 0으로 채웠습니다. 이 결정이 라인별 불량률과 품질 보고에
        어떤 **편향(bias)** 을 만들 수 있는지, 그리고 더 나은 처리 방법 한 가지를 제안하세요
        (3~5문장).

        *채점 기준*: 편향의 방향(불량률 과소 추정)을 설명(1점), 대안(결측 비율 보고, 해당 행 제외
        후 비율 계산, MES 원천 기록 확인 등)을 근거와 함께 제시(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 결측을 0으로 채우면 기록이 빠진 교대의 불량이 모두 "없음"이 되어 불량률이
        실제보다 낮게 계산됩니다. 결측이 특정 라인이나 야간 교대에 몰려 있다면 그 라인이
        좋아 보이는 잘못된 결론이 납니다. 더 나은 방법은 결측 행을 비율 계산에서 제외하고
        (분자·분모 모두), 결측 비율을 함께 보고하며, MES 원천 기록으로 누락 원인을 확인하는
        것입니다.
        """,
    ),
]
