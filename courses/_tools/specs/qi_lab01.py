"""Quality inspection, lab 1: hand-crafted features and a nearest-centroid classifier."""

from nbcells import instructions, locked_code, manual, solution, tests
from steel_data import MAKE_PATCHES

COURSE = "quality-inspection"
ASSIGNMENT = "lab01-nearest-centroid"
NOTEBOOK = "steel_defects"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. 강판 표면 결함 분류 — 특징 설계와 최근접 중심 분류기

        철강·비철금속 압연 라인에서는 카메라가 강판(steel plate) 표면을 찍어 결함을 찾습니다.
        이 실습에서는 16×16 픽셀 회색조 패치(patch) 세 종류를 구분합니다.

        | label | 이름 | 모양 |
        |---|---|---|
        | 0 | normal (정상) | 고른 질감 + 잡음 |
        | 1 | scratch (스크래치) | 압연 방향(가로)으로 긴 어두운 선 |
        | 2 | spot (반점) | 작고 둥근 어두운 점 |

        딥러닝 전에 **특징 설계(feature engineering)** 를 직접 해 봅니다.
        1. 패치별 정규화(normalization)로 조명 차이 없애기
        2. 결함 모양을 설명하는 3개 특징 만들기
        3. 최근접 중심 분류기(nearest-centroid classifier)와 혼동 행렬(confusion matrix)
        """,
    ),
    locked_code(
        "data",
        MAKE_PATCHES
        + """


X_train, y_train = make_patches(100, seed=1)
X_test, y_test = make_patches(60, seed=2)
print(X_train.shape, X_test.shape, np.bincount(y_train))
""",
    ),
    instructions(
        "task_normalize",
        """
        ## 1. 패치 정규화 (2점)

        `normalize(images)`: `(n, 16, 16)` 배열의 **각 패치마다** 평균을 빼고 표준편차로 나눕니다
        (`axis=(1, 2)`, `keepdims=True`). 0으로 나누지 않도록 표준편차에 `1e-8`을 더하세요.
        결과는 같은 모양의 배열입니다.
        """,
    ),
    solution(
        "normalize",
        '''
        def normalize(images):
            """Per-patch zero mean, unit standard deviation."""
            ### BEGIN SOLUTION
            images = np.asarray(images, dtype=float)
            mean = images.mean(axis=(1, 2), keepdims=True)
            std = images.std(axis=(1, 2), keepdims=True)
            return (images - mean) / (std + 1e-8)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_normalize",
        2,
        """
        Z = normalize(X_train)
        assert Z.shape == X_train.shape
        assert np.allclose(Z.mean(axis=(1, 2)), 0, atol=1e-6)
        ### BEGIN HIDDEN TESTS
        assert np.allclose(Z.std(axis=(1, 2)), 1, atol=1e-4)
        flat = normalize(np.full((2, 16, 16), 0.5))
        assert np.all(np.isfinite(flat)) and np.allclose(flat, 0)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_features",
        """
        ## 2. 특징 3개 (3점)

        `extract_features(images)`는 `(n, 3)` 배열을 돌려줍니다. 정규화된 패치 `z`에 대해:

        | 열 | 이름 | 정의 | 직관 |
        |---|---|---|---|
        | 0 | `dark_ratio` | `z < -2`인 픽셀의 비율 | 결함이 있으면 어두운 픽셀이 많음 |
        | 1 | `row_score` | 행(row)별 평균의 **음수** 중 최댓값 | 가로 스크래치는 한 행 전체가 어두움 |
        | 2 | `col_score` | 열(column)별 평균의 **음수** 중 최댓값 | 반점은 행과 열 모두 조금 어두움 |
        """,
    ),
    solution(
        "features",
        '''
        def extract_features(images):
            """(n, 3): dark_ratio, row_score, col_score of the normalized patches."""
            ### BEGIN SOLUTION
            z = normalize(images)
            dark_ratio = (z < -2).mean(axis=(1, 2))
            row_score = (-z.mean(axis=2)).max(axis=1)
            col_score = (-z.mean(axis=1)).max(axis=1)
            return np.column_stack([dark_ratio, row_score, col_score])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_features",
        3,
        """
        F_train = extract_features(X_train)
        assert F_train.shape == (300, 3)
        for k, name in enumerate(CLASSES):
            print(name, F_train[y_train == k].mean(axis=0).round(3))
        ### BEGIN HIDDEN TESTS
        toy = np.zeros((1, 16, 16)) + 0.6
        toy[0, 5, :] = 0.2
        dark, row, col = extract_features(toy)[0]
        assert np.isclose(dark, 16 / 256)
        assert row > 3.0 and col < 0.5
        scratch = F_train[y_train == 1]
        assert np.mean(scratch[:, 1] > scratch[:, 2]) > 0.95
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_centroid",
        """
        ## 3. 최근접 중심 분류기 (3점)

        특징의 단위가 다르므로 아래 셀이 학습 데이터 기준으로 표준화합니다 (제공됨).

        - `fit_centroids(F, y, n_classes)`: 클래스별 특징 평균, `(n_classes, d)` 배열
        - `predict_nearest(F, centroids)`: 각 행에서 **유클리드 거리(Euclidean distance)** 가 가장 가까운
          중심의 클래스 번호 배열 (힌트: broadcasting `F[:, None, :] - centroids[None, :, :]`)
        """,
    ),
    locked_code(
        "scale",
        """
        F_train, F_test = extract_features(X_train), extract_features(X_test)
        f_mean, f_std = F_train.mean(axis=0), F_train.std(axis=0)
        S_train, S_test = (F_train - f_mean) / f_std, (F_test - f_mean) / f_std
        """,
    ),
    solution(
        "centroids",
        '''
        def fit_centroids(F, y, n_classes):
            """Mean feature vector of each class."""
            ### BEGIN SOLUTION
            F = np.asarray(F, dtype=float)
            return np.array([F[np.asarray(y) == k].mean(axis=0) for k in range(n_classes)])
            ### END SOLUTION


        def predict_nearest(F, centroids):
            """Index of the nearest centroid (Euclidean) for each row of F."""
            ### BEGIN SOLUTION
            d2 = ((np.asarray(F, dtype=float)[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
            return d2.argmin(axis=1)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_centroids",
        3,
        """
        C = fit_centroids(S_train, y_train, 3)
        assert C.shape == (3, 3)
        assert np.array_equal(predict_nearest(np.array([[0.0, 0.0], [9.0, 9.0]]), np.array([[1.0, 1.0], [8.0, 8.0]])), [0, 1])
        pred = predict_nearest(S_test, C)
        print("test accuracy:", round(float(np.mean(pred == y_test)), 3))
        ### BEGIN HIDDEN TESTS
        assert np.allclose(C[1], S_train[y_train == 1].mean(axis=0))
        assert np.mean(pred == y_test) >= 0.9
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_confusion",
        """
        ## 4. 혼동 행렬 (2점)

        `confusion_matrix(y_true, y_pred, n_classes)`: `M[i, j]` = 실제 클래스 `i`를 `j`로 예측한 개수
        (정수 배열, 행 = 실제, 열 = 예측). 대각선의 합이 맞힌 개수입니다.
        """,
    ),
    solution(
        "confusion",
        '''
        def confusion_matrix(y_true, y_pred, n_classes):
            """M[i, j] = count of true class i predicted as j."""
            ### BEGIN SOLUTION
            M = np.zeros((n_classes, n_classes), dtype=int)
            np.add.at(M, (np.asarray(y_true), np.asarray(y_pred)), 1)
            return M
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_confusion",
        2,
        """
        M = confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], 3)
        assert M.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
        ### BEGIN HIDDEN TESTS
        pred = predict_nearest(S_test, fit_centroids(S_train, y_train, 3))
        M = confusion_matrix(y_test, pred, 3)
        print(M)
        assert M.sum() == len(y_test) and np.trace(M) == np.sum(pred == y_test)
        assert confusion_matrix([1, 1], [1, 1], 2).tolist() == [[0, 0], [0, 2]]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 5. 생각해 보기 (수동 채점, 2점)

        이 강판은 조선소의 선체 블록으로 갑니다. 혼동 행렬에서 **어떤 칸의 오류가 가장 비싼지**
        (예: 결함을 normal로 판정, normal을 결함으로 판정) 설명하고, 분류기가 확신하지 못하는 패치를
        현장에서 어떻게 처리할지 제안하세요 (3~5문장).

        *채점 기준*: 결함→정상 오분류(불량 유출)가 가장 비싸다는 근거(1점), 재검사·사람 검사원에게
        넘기기 같은 운영 방안(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 결함을 normal로 판정하는 칸(행 1·2, 열 0)이 가장 비쌉니다. 불량 강판이 선체
        블록으로 용접되면 뒤늦게 발견될수록 수리 비용과 납기 손실이 커지기 때문입니다. 반대로
        normal을 결함으로 판정하면 재검사 비용만 듭니다. 따라서 중심까지의 거리 차이가 작은(확신이
        낮은) 패치는 자동 판정하지 말고 사람 검사원에게 보내거나 다른 각도의 조명으로 다시 촬영합니다.
        """,
    ),
]
