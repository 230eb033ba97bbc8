"""Semiconductors, lab 2: wafer-map defect pattern features and a k-NN classifier."""

from nbcells import instructions, locked_code, manual, solution, tests
from wafer_data import MAKE_WAFERS

COURSE = "semiconductor-yield"
ASSIGNMENT = "lab02-pattern-classification"
NOTEBOOK = "pattern_classification"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. 웨이퍼 불량 패턴 분류 — 연결 요소, 모양 특징, k-NN

        불량 패턴 5종을 자동으로 분류합니다: `none`(무작위), `center`, `edge_ring`, `scratch`, `local`.
        패턴을 알면 수율 손실을 원인 공정별로 나눌 수 있습니다.

        1. **연결 요소(connected component)**: 붙어 있는(상하좌우, 4-neighbourhood) 불량 다이 묶음 중
           가장 큰 것 찾기 — 너비 우선 탐색(BFS, breadth-first search)
        2. **길쭉함(elongation)**: 좌표의 공분산 고유값(eigenvalue)으로 선 모양(scratch) 구별
        3. **k-최근접 이웃(k-NN)** 분류기
        4. pandas로 패턴별 수율 손실(yield loss) 계산

        Lab 1의 `radial_fail_rate`와 `wafer_yield`는 아래에 제공됩니다.
        """,
    ),
    locked_code(
        "data",
        MAKE_WAFERS
        + """


import pandas as pd
from collections import deque

maps_train, y_train = make_wafers(40, seed=31)
maps_test, y_test = make_wafers(20, seed=32)

def wafer_yield(wmap):
    return float(np.sum(wmap == 1) / np.sum(wmap > 0))

def radial_fail_rate(wmap, n_rings=4):
    h, w = wmap.shape
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
    on = wmap > 0
    ring = np.minimum((r / r[on].max() * n_rings).astype(int), n_rings - 1)
    return np.array([np.mean(wmap[on & (ring == k)] == 2) for k in range(n_rings)])

print(maps_train.shape, maps_test.shape)
""",
    ),
    instructions(
        "task_cluster",
        """
        ## 1. 가장 큰 불량 묶음 (4점)

        `largest_cluster(wmap)`: 불량(`== 2`) 다이들 중 상하좌우로 이어진 가장 큰 묶음의 좌표를
        `(k, 2)` 정수 배열(`[row, col]` 행들)로 돌려줍니다. 불량이 없으면 `shape (0, 2)`.
        크기가 같은 묶음이 여럿이면 행 우선(row-major)으로 먼저 만난 묶음입니다.
        힌트: `collections.deque`로 BFS, 방문 표시 배열 `seen`.
        """,
    ),
    solution(
        "cluster",
        '''
        def largest_cluster(wmap):
            """Coordinates (k, 2) of the largest 4-connected group of failing dies."""
            ### BEGIN SOLUTION
            fail = np.asarray(wmap) == 2
            seen = np.zeros_like(fail)
            h, w = fail.shape
            best = []
            for i, j in zip(*np.nonzero(fail)):
                if seen[i, j]:
                    continue
                component, queue = [], deque([(i, j)])
                seen[i, j] = True
                while queue:
                    a, b = queue.popleft()
                    component.append((a, b))
                    for y, x in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                        if 0 <= y < h and 0 <= x < w and fail[y, x] and not seen[y, x]:
                            seen[y, x] = True
                            queue.append((y, x))
                if len(component) > len(best):
                    best = component
            return np.array(best, dtype=int).reshape(-1, 2)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_cluster",
        4,
        """
        toy = np.array([[2, 2, 0, 2],
                        [1, 2, 1, 2],
                        [2, 1, 1, 2]])
        c = largest_cluster(toy)
        assert c.shape == (3, 2)
        assert sorted(map(tuple, c.tolist())) in ([(0, 0), (0, 1), (1, 1)], [(0, 3), (1, 3), (2, 3)])
        ### BEGIN HIDDEN TESTS
        assert sorted(map(tuple, c.tolist())) == [(0, 0), (0, 1), (1, 1)]
        assert largest_cluster(np.ones((4, 4))).shape == (0, 2)
        diag = np.eye(4, dtype=int) + 1
        assert len(largest_cluster(diag)) == 1, "diagonal neighbours are not connected"
        sizes = [len(largest_cluster(m)) for m in maps_train[y_train == 1]]
        assert np.mean(sizes) > 20
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_shape",
        """
        ## 2. 길쭉함과 특징 벡터 (4점)

        - `elongation(coords)`: 좌표 `(k, 2)`의 공분산 행렬 `np.cov(coords.T, bias=True)`의 고유값
          (`np.linalg.eigvalsh`, 오름차순) $\\lambda_{min}, \\lambda_{max}$로
          $\\sqrt{\\lambda_{max} / \\max(\\lambda_{min}, 0.05)}$. 점이 2개 미만이면 `1.0`.
        - `pattern_features(wmap)`: 길이 5 배열
          `[불량률, 0번 링 불량률, 마지막 링 불량률, 가장 큰 묶음 크기 / 전체 불량 수, 가장 큰 묶음의 elongation]`.
          불량률 = 불량 다이 / 웨이퍼 위 다이. 불량이 하나도 없으면 4번째 값은 0.
        """,
    ),
    solution(
        "shape",
        '''
        def elongation(coords):
            """sqrt(lambda_max / max(lambda_min, 0.05)) of the coordinate covariance; 1.0 if < 2 points."""
            ### BEGIN SOLUTION
            coords = np.asarray(coords, dtype=float)
            if len(coords) < 2:
                return 1.0
            low, high = np.linalg.eigvalsh(np.cov(coords.T, bias=True))
            return float(np.sqrt(high / max(low, 0.05)))
            ### END SOLUTION


        def pattern_features(wmap):
            """[fail rate, inner-ring rate, outer-ring rate, cluster share, cluster elongation]."""
            ### BEGIN SOLUTION
            wmap = np.asarray(wmap)
            fails = int(np.sum(wmap == 2))
            rings = radial_fail_rate(wmap)
            cluster = largest_cluster(wmap)
            return np.array([
                fails / np.sum(wmap > 0),
                rings[0],
                rings[-1],
                len(cluster) / fails if fails else 0.0,
                elongation(cluster),
            ])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_shape",
        4,
        """
        line = np.column_stack([np.arange(10), np.zeros(10)])
        assert np.isclose(elongation(line), np.sqrt(8.25 / 0.05))
        assert elongation(np.array([[3, 4]])) == 1.0
        f = pattern_features(maps_train[0])
        assert f.shape == (5,)
        ### BEGIN HIDDEN TESTS
        square = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        assert np.isclose(elongation(square), 1.0)
        assert pattern_features(np.ones((5, 5), dtype=int))[3] == 0.0
        F = np.array([pattern_features(m) for m in maps_train])
        assert np.median(F[y_train == 3, 4]) > 2 * np.median(F[y_train == 4, 4]), "scratches are elongated"
        assert np.median(F[y_train == 2, 2]) > 0.4
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_knn",
        """
        ## 3. k-NN 분류 (4점)

        아래 셀이 특징을 학습 데이터 기준으로 표준화합니다 (제공됨).
        `knn_predict(F_train, y_train, F_query, k=5)`: 질의(query) 행마다 유클리드 거리가 가장 가까운
        `k`개 학습 샘플의 레이블 중 **가장 많은 것**(동률이면 작은 레이블 번호, `np.bincount(...).argmax()`)
        을 돌려줍니다.
        """,
    ),
    locked_code(
        "scale",
        """
        F_train = np.array([pattern_features(m) for m in maps_train])
        F_test = np.array([pattern_features(m) for m in maps_test])
        f_mean, f_std = F_train.mean(axis=0), F_train.std(axis=0) + 1e-12
        S_train, S_test = (F_train - f_mean) / f_std, (F_test - f_mean) / f_std
        """,
    ),
    solution(
        "knn",
        '''
        def knn_predict(F_train, y_train, F_query, k=5):
            """Majority label of the k nearest training rows (ties -> smallest label)."""
            ### BEGIN SOLUTION
            F_train, F_query = np.asarray(F_train, dtype=float), np.asarray(F_query, dtype=float)
            d2 = ((F_query[:, None, :] - F_train[None, :, :]) ** 2).sum(axis=2)
            nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
            n_labels = int(np.max(y_train)) + 1
            return np.array([np.bincount(y_train[row], minlength=n_labels).argmax() for row in nearest])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_knn",
        4,
        """
        toy_X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
        toy_y = np.array([0, 0, 0, 1, 1])
        assert knn_predict(toy_X, toy_y, np.array([[0.05], [4.9]]), k=3).tolist() == [0, 1]
        pred = knn_predict(S_train, y_train, S_test, k=5)
        acc = float(np.mean(pred == y_test))
        print("test accuracy:", round(acc, 3))
        ### BEGIN HIDDEN TESTS
        assert acc >= 0.9, f"accuracy {acc:.3f} too low"
        assert knn_predict(toy_X, toy_y, np.array([[2.6]]), k=5).tolist() == [0]
        assert knn_predict(toy_X, toy_y, np.array([[5.05]]), k=1).tolist() == [1]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_loss",
        """
        ## 4. 패턴별 수율 손실 (2점)

        `yield_loss_by_pattern(df)`: 열 `pattern`(이름), `wafer_yield`를 가진 `DataFrame`에서 패턴별
        `wafers`(장 수), `mean_yield`, `yield_loss`(= `none` 패턴의 평균 수율 − 그 패턴의 평균 수율)
        열을 가진 `DataFrame`(인덱스 `pattern`)을 `yield_loss` **내림차순**으로 돌려줍니다.
        """,
    ),
    solution(
        "loss",
        '''
        def yield_loss_by_pattern(df):
            """Per pattern: wafers, mean_yield, yield_loss vs 'none'; biggest loss first."""
            ### BEGIN SOLUTION
            out = df.groupby("pattern")["wafer_yield"].agg(wafers="size", mean_yield="mean")
            out["yield_loss"] = out.loc["none", "mean_yield"] - out["mean_yield"]
            return out.sort_values("yield_loss", ascending=False)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_loss",
        2,
        """
        pred = knn_predict(S_train, y_train, S_test, k=5)
        table = pd.DataFrame({"pattern": [PATTERNS[p] for p in pred],
                              "wafer_yield": [wafer_yield(m) for m in maps_test]})
        loss = yield_loss_by_pattern(table)
        print(loss.round(3))
        assert "yield_loss" in loss.columns and loss.loc["none", "yield_loss"] == 0
        ### BEGIN HIDDEN TESTS
        assert loss.index[0] == "edge_ring"
        assert loss["yield_loss"].is_monotonic_decreasing
        assert int(loss["wafers"].sum()) == len(maps_test)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        실제 팹(fab)에서는 학습 데이터에 없던 **새로운 불량 패턴**이 나타납니다. k-NN은 그런 웨이퍼를
        어떻게 분류할까요? 새 패턴을 놓치지 않기 위한 방법(예: 가장 가까운 이웃까지의 거리 활용)과,
        엔지니어가 해야 할 일을 3~5문장으로 쓰세요.

        *채점 기준*: k-NN은 항상 기존 5개 중 하나로 답한다는 한계(1점), 거리 임계값으로 "미분류"를
        두고 엔지니어가 검토·레이블링해 학습 데이터를 갱신하는 절차(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) k-NN은 어떤 입력에도 기존 5개 레이블 중 하나를 답하므로, 새로운 패턴은 가장 비슷해
        보이는 기존 패턴으로 잘못 분류되어 원인 분석이 엉뚱한 장비로 향할 수 있습니다. 가장 가까운
        이웃까지의 거리가 학습 데이터 안의 일반적인 거리보다 훨씬 크면 "미분류"로 표시해 엔지니어에게
        보냅니다. 엔지니어는 이런 웨이퍼를 모아 새 패턴으로 정의·레이블링하고, 학습 데이터에 추가해
        분류기를 다시 만듭니다.
        """,
    ),
]
