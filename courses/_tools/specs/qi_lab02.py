"""Quality inspection, lab 2: softmax regression on profile features with a reject option."""

from nbcells import instructions, locked_code, manual, solution, tests
from steel_data import MAKE_PATCHES

COURSE = "quality-inspection"
ASSIGNMENT = "lab02-softmax-reject"
NOTEBOOK = "softmax_reject"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. Softmax 회귀와 "모르면 사람에게" — 판정 보류(reject option)

        Lab 1의 3개 특징 대신, 정규화된 패치의 **행 프로파일과 열 프로파일**(행·열 평균 16개씩)을
        크기순으로 정렬한 32차원 특징을 씁니다. 정렬하면 결함의 **위치**와 상관없는 특징이 됩니다
        (translation invariance).

        1. 위치 불변 프로파일 특징 만들기
        2. 다중 클래스 **softmax 회귀**를 NumPy 경사 하강법으로 학습하기
        3. 확신도(confidence)가 낮은 패치는 판정을 보류(`-1`)하고 검사원에게 넘기기
        4. 클래스별 재현율(per-class recall)로 평가하기
        """,
    ),
    locked_code(
        "data",
        MAKE_PATCHES
        + """


X_train, y_train = make_patches(150, seed=11)
X_test, y_test = make_patches(80, seed=12)

def normalize(images):
    mean = images.mean(axis=(1, 2), keepdims=True)
    return (images - mean) / (images.std(axis=(1, 2), keepdims=True) + 1e-8)

print(X_train.shape, X_test.shape)
""",
    ),
    instructions(
        "task_profile",
        """
        ## 1. 위치 불변 프로파일 특징 (3점)

        `profile_features(images)` → `(n, 32)`:
        `z = normalize(images)`(제공됨)에서 행 평균의 음수 `-z.mean(axis=2)`(16개)를 **내림차순** 정렬한
        것과, 열 평균의 음수 `-z.mean(axis=1)`(16개)를 내림차순 정렬한 것을 이어 붙입니다.
        (힌트: `-np.sort(-a, axis=1)`은 행마다 내림차순 정렬)
        """,
    ),
    solution(
        "profile",
        '''
        def profile_features(images):
            """Row and column darkness profiles, each sorted descending: (n, 32)."""
            ### BEGIN SOLUTION
            z = normalize(np.asarray(images, dtype=float))
            rows = -np.sort(z.mean(axis=2), axis=1)
            cols = -np.sort(z.mean(axis=1), axis=1)
            return np.hstack([rows, cols])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_profile",
        3,
        """
        P = profile_features(X_train[:5])
        assert P.shape == (5, 32)
        assert np.all(np.diff(P[:, :16], axis=1) <= 1e-12), "row profile must be sorted descending"
        ### BEGIN HIDDEN TESTS
        shifted = np.roll(X_train[:5], shift=(3, 2), axis=(1, 2))
        assert np.allclose(profile_features(shifted), P), "must not depend on the defect position"
        assert np.all(np.diff(P[:, 16:], axis=1) <= 1e-12)
        toy = np.full((1, 16, 16), 0.6)
        toy[0, 4, :] = 0.2
        assert profile_features(toy)[0, 0] > 3.0
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_softmax",
        """
        ## 2. Softmax 회귀 (5점)

        - `softmax(Z)`: 행마다 $\\mathrm{softmax}(z)_k = e^{z_k} / \\sum_j e^{z_j}$.
          큰 값에서 overflow가 없도록 **행 최댓값을 먼저 빼세요**.
        - `train_softmax(X, y, n_classes, lr=0.5, epochs=400, l2=1e-3)`: `W`(`(d, k)`, 0으로 시작),
          `b`(`(k,)`, 0)를 평균 교차 엔트로피(cross-entropy) + `l2/2·‖W‖²`의 경사 하강법으로 학습합니다.
          one-hot 행렬 `Y`에 대해 $\\nabla_W = X^T(P - Y)/n + l2·W$, $\\nabla_b = \\mathrm{mean}(P - Y)$.

        특징 표준화는 아래 셀에서 제공합니다.
        """,
    ),
    locked_code(
        "scale",
        """
        F_train, F_test = profile_features(X_train), profile_features(X_test)
        f_mean, f_std = F_train.mean(axis=0), F_train.std(axis=0) + 1e-8
        S_train, S_test = (F_train - f_mean) / f_std, (F_test - f_mean) / f_std
        """,
    ),
    solution(
        "softmax_train",
        '''
        def softmax(Z):
            """Row-wise softmax, stable for large inputs."""
            ### BEGIN SOLUTION
            Z = np.asarray(Z, dtype=float)
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            return E / E.sum(axis=1, keepdims=True)
            ### END SOLUTION


        def train_softmax(X, y, n_classes, lr=0.5, epochs=400, l2=1e-3):
            """Gradient descent on mean cross-entropy + l2/2 * ||W||^2; returns (W, b)."""
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            Y = np.eye(n_classes)[np.asarray(y)]
            W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
            for _ in range(epochs):
                G = softmax(X @ W + b) - Y
                W -= lr * (X.T @ G / len(X) + l2 * W)
                b -= lr * G.mean(axis=0)
            return W, b
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_softmax",
        2,
        """
        S = softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
        assert np.allclose(S.sum(axis=1), 1.0)
        assert np.allclose(S[1], 1 / 3)
        ### BEGIN HIDDEN TESTS
        with np.errstate(over="raise", invalid="raise"):
            big = softmax(np.array([[1000.0, 1000.0, -1000.0]]))
        assert np.allclose(big, [[0.5, 0.5, 0.0]])
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_train_softmax",
        3,
        """
        W, b = train_softmax(S_train, y_train, 3)
        assert W.shape == (32, 3) and b.shape == (3,)
        proba = softmax(S_test @ W + b)
        acc = float(np.mean(proba.argmax(axis=1) == y_test))
        print("test accuracy:", round(acc, 3))
        ### BEGIN HIDDEN TESTS
        assert acc >= 0.93, f"accuracy {acc:.3f} too low"
        W1, b1 = train_softmax(np.array([[1.0], [-1.0]]), np.array([0, 1]), 2, lr=1.0, epochs=1, l2=0.0)
        assert np.allclose(W1, [[0.5, -0.5]]) and np.allclose(b1, 0.0)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_reject",
        """
        ## 3. 판정 보류와 클래스별 재현율 (4점)

        - `predict_with_reject(proba, min_confidence)`: 행마다 가장 큰 확률의 클래스, 단 그 확률이
          `min_confidence`보다 **작으면** `-1`(보류)
        - `per_class_recall(y_true, y_pred, n_classes)`: 길이 `n_classes` 배열, 클래스 `k`의 재현율 =
          (실제 `k`이고 `k`로 예측) / (실제 `k`). 보류(`-1`)는 맞히지 못한 것으로 셉니다.
          실제 `k`가 없으면 `np.nan`.
        """,
    ),
    solution(
        "reject",
        '''
        def predict_with_reject(proba, min_confidence):
            """argmax class per row, or -1 where the top probability < min_confidence."""
            ### BEGIN SOLUTION
            proba = np.asarray(proba, dtype=float)
            pred = proba.argmax(axis=1)
            return np.where(proba.max(axis=1) < min_confidence, -1, pred)
            ### END SOLUTION


        def per_class_recall(y_true, y_pred, n_classes):
            """Recall of each class; -1 (rejected) counts as a miss; nan for absent classes."""
            ### BEGIN SOLUTION
            y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
            out = np.full(n_classes, np.nan)
            for k in range(n_classes):
                mask = y_true == k
                if mask.any():
                    out[k] = np.mean(y_pred[mask] == k)
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_reject",
        4,
        """
        toy = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25]])
        assert predict_with_reject(toy, 0.6).tolist() == [0, -1]
        assert np.allclose(per_class_recall([0, 0, 1], [0, -1, 1], 2), [0.5, 1.0])
        W, b = train_softmax(S_train, y_train, 3)
        proba = softmax(S_test @ W + b)
        pred = predict_with_reject(proba, 0.9)
        accepted = pred != -1
        print(f"coverage={accepted.mean():.2f}, accuracy on accepted={np.mean(pred[accepted] == y_test[accepted]):.3f}")
        print("per-class recall:", per_class_recall(y_test, pred, 3).round(3))
        ### BEGIN HIDDEN TESTS
        assert np.isnan(per_class_recall([0, 0], [0, 0], 2)[1])
        assert np.mean(pred[accepted] == y_test[accepted]) >= np.mean(proba.argmax(axis=1) == y_test)
        assert 0.7 <= accepted.mean() < 1.0
        assert predict_with_reject(toy, 0.4).tolist() == [0, 0]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        `min_confidence`를 0.9에서 0.99로 올리면 자동 판정 비율(coverage)과 자동 판정의 정확도는
        어떻게 바뀔까요? 검사원이 하루 200장만 볼 수 있는 라인에서 이 값을 어떻게 정하겠습니까
        (3~5문장)?

        *채점 기준*: coverage↓·정확도↑의 상충(trade-off) 설명(1점), 검사 인력 용량과 불량 유출 목표로
        값을 정하고 주기적으로 다시 맞춘다는 절차(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 값을 올리면 확신이 아주 높은 패치만 자동 판정되므로 자동 판정의 정확도는 올라가지만
        보류되는 패치가 늘어 coverage가 줄어듭니다. 하루 생산 패치 수 × (1 − coverage)가 검사원의
        처리 용량 200장을 넘지 않는 범위에서, 자동 판정의 불량 유출률이 품질 목표 이하가 되는 가장
        높은 값을 검증 데이터로 고릅니다. 조명이나 소재가 바뀌면 확률 보정이 달라지므로 정기적으로
        다시 측정합니다.
        """,
    ),
]
