"""Smart factory PdM, lab 2: threshold alarms, precision/recall and logistic regression."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-factory-pdm"
ASSIGNMENT = "lab02-anomaly-detection"
NOTEBOOK = "anomaly_detection"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. 이상 탐지와 고장 분류 — 임계값(threshold)에서 로지스틱 회귀까지

        Lab 1에서 만든 특징(RMS, kurtosis)과 베어링 온도(`temp_c`)가 펌프 6대에서 600개 창만큼
        모였습니다. 정비팀이 분해 점검으로 확인한 고장 여부가 `fault` 열(1 = 고장)에 있습니다.
        고장은 전체의 약 12 %로 **불균형(imbalanced)** 데이터입니다.

        1. 정상 데이터만으로 정한 **임계값 알람** (mean + k·std)
        2. 혼동 행렬(confusion matrix)과 **precision / recall / F1**
        3. NumPy로 직접 구현하는 **로지스틱 회귀(logistic regression)** 와 경사 하강법(gradient descent)

        시간 순서대로 앞의 70 %(`train`)로 학습하고 뒤의 30 %(`test`)로 평가합니다
        (미래 데이터로 학습하지 않기 위해 무작위로 섞지 않습니다).
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        def make_fleet(n=600, seed=11):
            rng = np.random.default_rng(seed)
            fault = rng.random(n) < 0.12
            return pd.DataFrame({
                "pump_id": rng.integers(1, 7, n),
                "rms": np.where(fault, rng.normal(0.62, 0.10, n), rng.normal(0.43, 0.06, n)),
                "kurtosis": np.where(fault, rng.normal(4.0, 0.8, n), rng.normal(2.4, 0.35, n)),
                "temp_c": np.where(fault, rng.normal(66, 4, n), rng.normal(60, 3.5, n)),
                "fault": fault.astype(int),
            })

        fleet = make_fleet()
        train, test = fleet.iloc[:420], fleet.iloc[420:]
        FEATURES = ["rms", "kurtosis", "temp_c"]
        print(len(train), len(test), "fault rate:", round(fleet["fault"].mean(), 3))
        """,
    ),
    instructions(
        "task_metrics",
        """
        ## 1. 평가 지표 (4점)

        - `confusion_counts(y_true, y_pred)`: `{"tp": .., "fp": .., "fn": .., "tn": ..}` (값은 `int`),
          양성(positive) = 1 = 고장
        - `precision_recall_f1(y_true, y_pred)`: `(precision, recall, f1)` 튜플.
          분모가 0이면 그 지표는 `0.0`입니다 (예: 알람이 한 번도 없으면 precision = 0.0).
        """,
    ),
    solution(
        "metrics",
        '''
        def confusion_counts(y_true, y_pred):
            """Counts of tp, fp, fn, tn (positive class = 1)."""
            ### BEGIN SOLUTION
            t = np.asarray(y_true).astype(bool)
            p = np.asarray(y_pred).astype(bool)
            return {
                "tp": int(np.sum(t & p)),
                "fp": int(np.sum(~t & p)),
                "fn": int(np.sum(t & ~p)),
                "tn": int(np.sum(~t & ~p)),
            }
            ### END SOLUTION


        def precision_recall_f1(y_true, y_pred):
            """(precision, recall, f1); a metric with a zero denominator is 0.0."""
            ### BEGIN SOLUTION
            c = confusion_counts(y_true, y_pred)
            precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
            recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            return precision, recall, f1
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_metrics",
        4,
        """
        c = confusion_counts([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
        assert c == {"tp": 2, "fp": 1, "fn": 1, "tn": 1}
        p, r, f = precision_recall_f1([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
        assert np.isclose(p, 2 / 3) and np.isclose(r, 2 / 3) and np.isclose(f, 2 / 3)
        ### BEGIN HIDDEN TESTS
        assert precision_recall_f1([1, 0, 1], [0, 0, 0]) == (0.0, 0.0, 0.0)
        assert precision_recall_f1([0, 0], [0, 0]) == (0.0, 0.0, 0.0)
        p, r, f = precision_recall_f1(np.array([1, 1, 1, 0]), np.array([True, False, False, False]))
        assert (p, r) == (1.0, 1 / 3) and np.isclose(f, 0.5)
        assert all(isinstance(v, int) for v in confusion_counts([1], [1]).values())
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_threshold",
        """
        ## 2. 정상 기준 임계값 알람 (3점)

        `fit_threshold(values, k=3.0)`는 **정상(fault = 0) 학습 데이터**의 값으로 평균 + k × 표준편차
        (`ddof=0`)를 돌려줍니다. 아래 셀은 이 임계값으로 `kurtosis` 알람을 만들어 평가합니다.
        """,
    ),
    solution(
        "fit_threshold",
        '''
        def fit_threshold(values, k=3.0):
            """mean + k * std (ddof=0) of the given healthy values."""
            ### BEGIN SOLUTION
            values = np.asarray(values, dtype=float)
            return float(values.mean() + k * values.std())
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_threshold",
        3,
        """
        assert np.isclose(fit_threshold([1.0, 3.0], k=1.0), 3.0)
        healthy_kurt = train.loc[train["fault"] == 0, "kurtosis"]
        limit = fit_threshold(healthy_kurt, k=3.0)
        alarm = (test["kurtosis"] > limit).astype(int)
        p, r, f = precision_recall_f1(test["fault"], alarm)
        print(f"kurtosis > {limit:.2f}: precision={p:.2f} recall={r:.2f} f1={f:.2f}")
        ### BEGIN HIDDEN TESTS
        assert np.isclose(limit, healthy_kurt.mean() + 3 * healthy_kurt.std(ddof=0))
        assert p > 0.9, "a 3-sigma limit on healthy data should give few false alarms"
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_logistic",
        """
        ## 3. 로지스틱 회귀 (5점)

        세 특징을 함께 쓰면 더 잘 구분할 수 있습니다. 아래 `standardize`는 학습 데이터의 평균·표준편차로
        특징을 표준화합니다 (제공됨).

        - `sigmoid(z)`: $1/(1+e^{-z})$. **큰 음수에서도 overflow 경고가 없어야** 합니다
          (힌트: `np.exp(-np.abs(z))`를 쓰고 부호에 따라 나누어 계산).
        - `train_logistic(X, y, lr=0.5, epochs=300)`: 가중치 `w`(0으로 시작), 절편 `b`(0)를
          평균 log loss의 경사 하강법으로 학습해 `(w, b)`를 돌려줍니다.
          기울기: $\\nabla_w = X^T(\\hat p - y)/n$, $\\nabla_b = \\mathrm{mean}(\\hat p - y)$.
        - `predict_proba(X, w, b)` = `sigmoid(X @ w + b)`
        """,
    ),
    locked_code(
        "standardize",
        """
        mu, sigma = train[FEATURES].mean().to_numpy(), train[FEATURES].std(ddof=0).to_numpy()

        def standardize(df):
            return (df[FEATURES].to_numpy(dtype=float) - mu) / sigma

        X_train, y_train = standardize(train), train["fault"].to_numpy()
        X_test, y_test = standardize(test), test["fault"].to_numpy()
        """,
    ),
    solution(
        "logistic",
        '''
        def sigmoid(z):
            """Numerically stable logistic function."""
            ### BEGIN SOLUTION
            z = np.asarray(z, dtype=float)
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            ### END SOLUTION


        def train_logistic(X, y, lr=0.5, epochs=300):
            """Batch gradient descent on the mean log loss; returns (w, b)."""
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            w, b = np.zeros(X.shape[1]), 0.0
            for _ in range(epochs):
                error = sigmoid(X @ w + b) - y
                w -= lr * X.T @ error / len(y)
                b -= lr * error.mean()
            return w, b
            ### END SOLUTION


        def predict_proba(X, w, b):
            """Probability of the positive class."""
            ### BEGIN SOLUTION
            return sigmoid(np.asarray(X, dtype=float) @ w + b)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_sigmoid",
        2,
        """
        assert np.isclose(sigmoid(0.0), 0.5)
        assert np.allclose(sigmoid(np.array([-2.0, 2.0])), [0.11920292, 0.88079708])
        ### BEGIN HIDDEN TESTS
        with np.errstate(over="raise", invalid="raise"):
            s = sigmoid(np.array([-1000.0, 1000.0]))
        assert np.allclose(s, [0.0, 1.0])
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_logistic",
        3,
        """
        w, b = train_logistic(X_train, y_train)
        proba = predict_proba(X_test, w, b)
        p, r, f = precision_recall_f1(y_test, proba >= 0.5)
        print("weights:", np.round(w, 2), "bias:", round(float(b), 2))
        print(f"logistic @0.5: precision={p:.2f} recall={r:.2f} f1={f:.2f}")
        assert proba.shape == (len(test),)
        ### BEGIN HIDDEN TESTS
        assert f >= 0.85, f"F1 {f:.2f} too low"
        assert np.all(w > 0), "every feature rises with a fault"
        w1, b1 = train_logistic(np.array([[-1.0], [1.0]]), np.array([0, 1]), lr=1.0, epochs=1)
        assert np.allclose(w1, [0.5]) and np.isclose(b1, 0.0)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        이 펌프가 석유화학 공정의 핵심 설비라서 **고장을 놓치는 비용(false negative)** 이 불필요한 점검
        비용(false positive)보다 20배 크다고 합시다. 확률 임계값 0.5를 어떻게 바꾸겠습니까?
        precision과 recall이 어떻게 변하는지, 그리고 임계값을 정할 때 누구와 무엇을 합의해야
        하는지 3~5문장으로 쓰세요.

        *채점 기준*: 임계값을 낮추면 recall↑ precision↓임을 설명(1점), 비용(점검 인력, 정지 손실)을
        정비·생산 부서와 합의하고 검증 데이터로 정한다는 절차 제시(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 놓치는 비용이 훨씬 크므로 임계값을 0.5보다 낮춰(예: 0.1~0.2) recall을 높입니다.
        그 대가로 precision이 떨어져 불필요한 점검이 늘어납니다. 적절한 값은 오경보 1건의 점검 비용과
        미탐 1건의 정지·사고 비용을 정비·생산·안전 부서와 합의한 뒤, 학습에 쓰지 않은 검증 데이터에서
        기대 비용이 최소가 되는 임계값으로 정하고, 운영 중에도 주기적으로 다시 확인합니다.
        """,
    ),
]
