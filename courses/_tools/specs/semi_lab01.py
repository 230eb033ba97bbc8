"""Semiconductors, lab 1: wafer maps, yield, radial profiles and lot summaries."""

from nbcells import instructions, locked_code, manual, solution, tests
from wafer_data import MAKE_WAFERS

COURSE = "semiconductor-yield"
ASSIGNMENT = "lab01-wafer-yield"
NOTEBOOK = "wafer_yield"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. 웨이퍼 맵과 수율(yield) 분석

        반도체 공정이 끝나면 웨이퍼의 모든 다이(die)를 전기적으로 검사(EDS, electrical die sorting)하여
        **웨이퍼 맵(wafer map)** 을 만듭니다. 불량 다이의 **공간 패턴**은 어느 공정 장비에 문제가
        있는지 알려 주는 단서입니다 (예: 가장자리 링 → 식각·증착 균일도, 중앙 → 스핀 코팅·CMP).

        데이터: 25×25 격자의 합성 웨이퍼 맵 200장 (8개 lot × 25장). 값의 의미는 공개 데이터셋
        WM-811K와 같습니다: `0` = 다이 없음(웨이퍼 밖), `1` = 양품(good), `2` = 불량(fail).

        구현할 것:
        1. 웨이퍼 수율
        2. 반지름 방향(radial) 불량률 프로파일
        3. 여러 웨이퍼에 걸친 다이 위치별 불량 빈도 (spatial signature)
        4. pandas로 lot별 요약
        """,
    ),
    locked_code(
        "data",
        MAKE_WAFERS
        + """


import pandas as pd

maps, pattern = make_wafers(40, seed=5)
lots = np.repeat([f"L{k:02d}" for k in range(1, 9)], 25)
print(maps.shape, maps.dtype, np.unique(maps))
""",
    ),
    instructions(
        "task_yield",
        """
        ## 1. 수율 (2점)

        `wafer_yield(wmap)` = 양품 다이 수 / 웨이퍼 위 다이 수(값이 1 또는 2인 칸). `float`를 돌려줍니다.
        """,
    ),
    solution(
        "yield",
        '''
        def wafer_yield(wmap):
            """Good dies / dies on the wafer (codes 1 and 2)."""
            ### BEGIN SOLUTION
            wmap = np.asarray(wmap)
            return float(np.sum(wmap == 1) / np.sum(wmap > 0))
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_yield",
        2,
        """
        assert wafer_yield(np.array([[0, 1], [1, 2]])) == 2 / 3
        yields = np.array([wafer_yield(m) for m in maps])
        print("mean yield:", yields.mean().round(3))
        ### BEGIN HIDDEN TESTS
        assert wafer_yield(np.array([[0, 0, 1]])) == 1.0
        assert np.isclose(wafer_yield(maps[0]), (maps[0] == 1).sum() / (maps[0] > 0).sum())
        assert isinstance(wafer_yield(maps[0]), float)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_radial",
        """
        ## 2. 반지름 방향 불량률 (4점)

        `radial_fail_rate(wmap, n_rings=4)`:
        1. 격자 중심 `((H-1)/2, (W-1)/2)`에서 각 칸까지의 거리 `r` (`np.mgrid`, `np.hypot`)
        2. 웨이퍼 위 다이들의 최대 거리로 나눈 정규화 반지름 `r_norm` (0~1)
        3. 링 번호 `ring = min(int(r_norm * n_rings), n_rings - 1)` (안쪽 0 → 바깥 `n_rings - 1`)
        4. 링마다 (불량 다이 수 / 그 링의 웨이퍼 위 다이 수)

        길이 `n_rings`의 배열을 돌려줍니다. 중앙 패턴은 0번 링이, 가장자리 링 패턴은 마지막 링이 높습니다.
        """,
    ),
    solution(
        "radial",
        '''
        def radial_fail_rate(wmap, n_rings=4):
            """Fail rate of on-wafer dies in n_rings equal-width rings, centre outwards."""
            ### BEGIN SOLUTION
            wmap = np.asarray(wmap)
            h, w = wmap.shape
            yy, xx = np.mgrid[0:h, 0:w]
            r = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
            on = wmap > 0
            ring = np.minimum((r / r[on].max() * n_rings).astype(int), n_rings - 1)
            return np.array([np.mean(wmap[on & (ring == k)] == 2) for k in range(n_rings)])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_radial",
        4,
        """
        prof = radial_fail_rate(maps[0])
        assert prof.shape == (4,)
        assert np.all((prof >= 0) & (prof <= 1))
        for k, name in enumerate(PATTERNS):
            mean_prof = np.mean([radial_fail_rate(m) for m in maps[pattern == k]], axis=0)
            print(f"{name:10s}", mean_prof.round(2))
        ### BEGIN HIDDEN TESTS
        center = np.mean([radial_fail_rate(m) for m in maps[pattern == 1]], axis=0)
        ring = np.mean([radial_fail_rate(m) for m in maps[pattern == 2]], axis=0)
        assert center[0] > 0.5 and center[-1] < 0.1
        assert ring[-1] > 0.4 and ring[0] < 0.1
        toy = np.ones((3, 3), dtype=int)
        toy[1, 1] = 2
        assert np.allclose(radial_fail_rate(toy, n_rings=2), [1.0, 0.0])
        assert radial_fail_rate(maps[3], n_rings=6).shape == (6,)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_frequency",
        """
        ## 3. 다이 위치별 불량 빈도 (2점)

        `fail_frequency(maps)`: `(n, H, W)` 맵 묶음에서 칸마다 **불량이었던 웨이퍼의 비율**을 구한
        `(H, W)` `float` 배열. 웨이퍼 밖 칸(모든 맵에서 0)은 `np.nan`입니다. 장비 하나가 같은 위치에
        반복해서 불량을 만들면 이 지도에 "지문(signature)"처럼 나타납니다.
        """,
    ),
    solution(
        "frequency",
        '''
        def fail_frequency(maps):
            """Per-die fraction of wafers on which the die failed; NaN off the wafer."""
            ### BEGIN SOLUTION
            maps = np.asarray(maps)
            on = (maps > 0).sum(axis=0)
            fails = (maps == 2).sum(axis=0)
            return np.where(on > 0, fails / np.maximum(on, 1), np.nan)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_frequency",
        2,
        """
        freq = fail_frequency(maps)
        assert freq.shape == (SIZE, SIZE)
        assert np.isnan(freq[0, 0]) and not np.isnan(freq[12, 12])
        ### BEGIN HIDDEN TESTS
        assert np.isclose(freq[12, 12], np.mean(maps[:, 12, 12] == 2))
        assert np.isnan(freq).sum() == np.sum(maps[0] == 0)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_lots",
        """
        ## 4. lot별 요약 (3점)

        `lot_summary(df)`: 열 `lot_id`, `wafer_yield`를 가진 `DataFrame`을 받아, lot별로
        `wafers`(장 수), `mean_yield`, `min_yield`, `low_yield_wafers`(수율 0.9 **미만** 웨이퍼 수)
        열을 가진 `DataFrame`(인덱스 `lot_id`)을 `mean_yield` **오름차순**으로 돌려줍니다.
        """,
    ),
    solution(
        "lots",
        '''
        def lot_summary(df):
            """Per lot: wafers, mean_yield, min_yield, low_yield_wafers; worst lot first."""
            ### BEGIN SOLUTION
            grouped = df.groupby("lot_id")["wafer_yield"]
            out = pd.DataFrame(
                {
                    "wafers": grouped.size(),
                    "mean_yield": grouped.mean(),
                    "min_yield": grouped.min(),
                    "low_yield_wafers": grouped.apply(lambda s: int((s < 0.9).sum())),
                }
            )
            return out.sort_values("mean_yield")
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_lots",
        3,
        """
        table = pd.DataFrame({"lot_id": lots, "wafer_yield": [wafer_yield(m) for m in maps]})
        summary = lot_summary(table)
        print(summary.round(3))
        assert len(summary) == 8
        assert {"wafers", "mean_yield", "min_yield", "low_yield_wafers"} <= set(summary.columns)
        ### BEGIN HIDDEN TESTS
        assert summary["mean_yield"].is_monotonic_increasing
        assert int(summary["wafers"].sum()) == 200
        worst = summary.index[0]
        assert np.isclose(summary.loc[worst, "mean_yield"], table[table.lot_id == worst].wafer_yield.mean())
        assert int(summary["low_yield_wafers"].sum()) == int((table["wafer_yield"] < 0.9).sum())
        toy = pd.DataFrame({"lot_id": ["A", "A", "B"], "wafer_yield": [0.95, 0.85, 0.9]})
        assert lot_summary(toy).loc["B", "low_yield_wafers"] == 0
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        lot 평균 수율만 보고 "가장 나쁜 lot"을 골라 원인을 찾으면 놓치는 것이 있습니다. 웨이퍼 맵의
        **공간 패턴**과 다이 위치별 불량 빈도가 원인 분석(root cause analysis)에 어떤 추가 정보를 주는지,
        예를 하나 들어 3~5문장으로 쓰세요.

        *채점 기준*: 평균은 패턴(원인)의 차이를 지운다는 지적(1점), 패턴→공정·장비 연결의 구체적
        예(가장자리 링→식각/증착 균일도, 스크래치→웨이퍼 이송·CMP 등)(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 수율이 같은 두 lot이라도 한쪽은 무작위 파티클, 다른 쪽은 가장자리 링 불량일 수 있어
        평균만으로는 원인이 다르다는 것을 알 수 없습니다. 링 패턴이 특정 챔버를 거친 웨이퍼에만
        나타나면 그 식각·증착 챔버의 가장자리 균일도를 의심하고, 직선 스크래치는 이송 로봇이나 CMP를
        의심합니다. 다이 위치별 불량 빈도 지도에서 같은 위치가 반복해서 불량이면 프로브 카드나 노광
        마스크처럼 위치가 고정된 원인을 찾습니다.
        """,
    ),
]
