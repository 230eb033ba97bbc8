"""Quality inspection, lab 3 (GPU-tagged): a small CNN in PyTorch on a GPU, NumPy fallback."""

from nbcells import instructions, locked_code, manual, solution, tests
from steel_data import MAKE_PATCHES

COURSE = "quality-inspection"
ASSIGNMENT = "lab03-gpu-cnn"
NOTEBOOK = "cnn_gpu"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 3. GPU로 CNN 학습하기 — 그리고 GPU가 없을 때

        이 실습은 **GPU 프로필**(예: MIG 1g 조각)에서 열도록 설정되어 있습니다.
        - PyTorch가 설치되어 있고 GPU가 보이면: 작은 **CNN**(convolutional neural network)을
          `cuda`에서 학습합니다.
        - PyTorch는 있지만 GPU가 없으면: 같은 CNN을 CPU에서 학습합니다 (몇 초 걸립니다).
        - PyTorch가 없으면: NumPy로 만든 작은 MLP(multi-layer perceptron)로 대신 학습합니다.

        어느 경우든 **여러분이 작성하는 전처리·평가 코드는 같습니다.** 이것이 실무에서 중요한 점입니다:
        모델 코드가 장치(device)에 따라 달라져도 데이터 준비와 평가는 하나로 유지합니다.
        환경 변수 `LAB_FORCE_NUMPY=1`이면 PyTorch가 있어도 NumPy 경로를 씁니다 (채점 재현용).

        구현할 것:
        1. `to_nchw(images)`: CNN 입력 모양 `(N, C, H, W)`로 정규화·변환
        2. `augment_flip(images, labels)`: 좌우 뒤집기(horizontal flip) 데이터 증강
        3. `predict_in_batches(predict_fn, X, batch_size)`: GPU 메모리를 아끼는 미니배치 추론
        4. `accuracy(y_true, y_pred)`
        """,
    ),
    locked_code(
        "data",
        MAKE_PATCHES
        + """


X_train, y_train = make_patches(200, seed=21)
X_test, y_test = make_patches(100, seed=22)
print(X_train.shape, X_test.shape)
""",
    ),
    locked_code(
        "backend",
        """
        import importlib.util
        import os

        def detect_backend():
            \"\"\"('torch', 'cuda' | 'cpu') when PyTorch is importable, else ('numpy', 'cpu').\"\"\"
            if os.environ.get("LAB_FORCE_NUMPY") == "1" or importlib.util.find_spec("torch") is None:
                return "numpy", "cpu"
            import torch
            return "torch", "cuda" if torch.cuda.is_available() else "cpu"

        BACKEND, DEVICE = detect_backend()
        print(f"backend={BACKEND} device={DEVICE}")
        """,
    ),
    instructions(
        "task_prep",
        """
        ## 1. 입력 모양과 데이터 증강 (4점)

        - `to_nchw(images)`: `(n, 16, 16)` → `(n, 1, 16, 16)` **`float32`** 배열.
          패치마다 평균 0, 표준편차 1로 정규화합니다 (표준편차에 `1e-8`을 더해 나누기).
        - `augment_flip(images, labels)`: 원본 뒤에 좌우로 뒤집은 패치(`images[..., ::-1]`)를 이어 붙인
          배열과, 그에 맞게 두 번 이어 붙인 레이블을 `(images2, labels2)`로 돌려줍니다.
          (스크래치는 뒤집어도 스크래치입니다 — 레이블이 바뀌지 않는 변환만 증강에 씁니다.)
        """,
    ),
    solution(
        "prep",
        '''
        def to_nchw(images):
            """Per-patch standardised float32 array of shape (n, 1, H, W)."""
            ### BEGIN SOLUTION
            images = np.asarray(images, dtype=np.float32)
            mean = images.mean(axis=(1, 2), keepdims=True)
            std = images.std(axis=(1, 2), keepdims=True)
            return ((images - mean) / (std + 1e-8))[:, None, :, :].astype(np.float32)
            ### END SOLUTION


        def augment_flip(images, labels):
            """Originals followed by their left-right mirror images; labels repeated."""
            ### BEGIN SOLUTION
            images = np.asarray(images)
            return np.concatenate([images, images[..., ::-1]]), np.concatenate([labels, labels])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_prep",
        4,
        """
        A = to_nchw(X_train[:8])
        assert A.shape == (8, 1, 16, 16) and A.dtype == np.float32
        aug_x, aug_y = augment_flip(X_train[:8], y_train[:8])
        assert aug_x.shape == (16, 16, 16) and len(aug_y) == 16
        ### BEGIN HIDDEN TESTS
        assert np.allclose(A.mean(axis=(1, 2, 3)), 0, atol=1e-5)
        assert np.allclose(A.std(axis=(1, 2, 3)), 1, atol=1e-3)
        assert np.array_equal(aug_x[8 + 3], X_train[3][:, ::-1])
        assert np.array_equal(aug_y, np.concatenate([y_train[:8], y_train[:8]]))
        assert np.array_equal(to_nchw(np.full((1, 16, 16), 0.5)), np.zeros((1, 1, 16, 16), np.float32))
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_batches",
        """
        ## 2. 미니배치 추론과 정확도 (3점)

        GPU 메모리는 한정되어 있으므로 큰 데이터는 나누어 추론합니다.
        - `predict_in_batches(predict_fn, X, batch_size=64)`: `X[i:i + batch_size]` 조각마다
          `predict_fn`을 불러 얻은 레이블 배열들을 순서대로 이어 붙여 돌려줍니다
          (`predict_fn`은 NumPy 배열을 받아 NumPy 레이블 배열을 돌려주는 함수).
        - `accuracy(y_true, y_pred)`: 맞힌 비율 (`float`)
        """,
    ),
    solution(
        "batches",
        '''
        def predict_in_batches(predict_fn, X, batch_size=64):
            """Concatenate predict_fn over consecutive slices of X."""
            ### BEGIN SOLUTION
            parts = [np.asarray(predict_fn(X[i : i + batch_size])) for i in range(0, len(X), batch_size)]
            return np.concatenate(parts) if parts else np.array([], dtype=int)
            ### END SOLUTION


        def accuracy(y_true, y_pred):
            """Fraction of equal labels."""
            ### BEGIN SOLUTION
            return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_batches",
        3,
        """
        calls = []
        def fake_predict(batch):
            calls.append(len(batch))
            return batch[:, 0, 0, 0] > 0
        X = to_nchw(X_test)
        out = predict_in_batches(fake_predict, X, batch_size=64)
        assert np.array_equal(out, X[:, 0, 0, 0] > 0)
        assert accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
        ### BEGIN HIDDEN TESTS
        assert calls == [64, 64, 64, 64, 44]
        calls.clear()
        assert len(predict_in_batches(fake_predict, X[:10], batch_size=100)) == 10 and calls == [10]
        assert isinstance(accuracy(np.array([1]), np.array([1])), float)
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "train_intro",
        """
        ## 3. 학습 (제공됨)과 모델 평가 (3점)

        아래 셀은 백엔드에 맞는 모델을 학습하고 `predict_fn`을 만듭니다. 읽어 보세요:
        PyTorch 경로는 모델과 텐서를 `DEVICE`로 옮기고(`.to(DEVICE)`), 추론 결과를 `.cpu().numpy()`로
        되돌립니다. NumPy 경로는 같은 입력을 펼쳐(flatten) 은닉층 32개의 MLP를 모멘텀 경사 하강법으로
        학습합니다 (`float32`). 두 경로 모두 시드(seed)를 고정해 결과가 재현됩니다.
        CPU에서 PyTorch를 쓸 때는 스레드를 1개로 둡니다: 이 정도로 작은 모델은 여러 스레드가 공유 CPU를
        다투면(oversubscription) 오히려 수십 배 느려집니다 (공유 2코어 서버에서 잰 예: 2스레드 43초, 1스레드 2.5초).
        그다음 테스트 셀(3점)은 여러분의 `predict_in_batches`와 `accuracy`로 시험 데이터 정확도를
        계산합니다. 어느 백엔드든 0.85 이상이어야 합니다.
        """,
    ),
    locked_code(
        "train",
        """
        import time

        def train_numpy_mlp(X, y, hidden=32, epochs=150, lr=0.2, seed=0):
            rng = np.random.default_rng(seed)
            A = X.reshape(len(X), -1).astype(np.float32)
            Y = np.eye(3, dtype=np.float32)[y]
            params = [rng.normal(0, np.sqrt(2 / A.shape[1]), (A.shape[1], hidden)).astype(np.float32),
                      np.zeros(hidden, np.float32),
                      rng.normal(0, np.sqrt(2 / hidden), (hidden, 3)).astype(np.float32),
                      np.zeros(3, np.float32)]
            velocity = [np.zeros_like(p) for p in params]
            for _ in range(epochs):
                W1, b1, W2, b2 = params
                H = np.maximum(A @ W1 + b1, 0)
                Z = H @ W2 + b2
                P = np.exp(Z - Z.max(axis=1, keepdims=True))
                G = (P / P.sum(axis=1, keepdims=True) - Y) / len(A)
                GH = (G @ W2.T) * (H > 0)
                grads = [A.T @ GH, GH.sum(axis=0), H.T @ G, G.sum(axis=0)]
                for p, v, g in zip(params, velocity, grads):
                    v *= 0.9
                    v -= lr * g
                    p += v
            W1, b1, W2, b2 = params
            return lambda batch: (np.maximum(batch.reshape(len(batch), -1) @ W1 + b1, 0) @ W2 + b2).argmax(axis=1)

        def train_torch_cnn(X, y, device, epochs=8, seed=0):
            import torch
            from torch import nn
            if device == "cpu":
                torch.set_num_threads(1)   # 이렇게 작은 모델은 여러 스레드가 CPU를 다투면 오히려 수십 배 느려짐
            torch.manual_seed(seed)
            model = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1),
                nn.Flatten(), nn.Linear(16, 3),
            ).to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
            Xt = torch.from_numpy(X).to(device)
            yt = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
            generator = torch.Generator().manual_seed(seed)
            model.train()
            for _ in range(epochs):
                for idx in torch.randperm(len(Xt), generator=generator).split(64):
                    idx = idx.to(device)
                    loss = nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
            model.eval()

            def predict(batch):
                with torch.no_grad():
                    return model(torch.from_numpy(np.ascontiguousarray(batch)).to(device)).argmax(dim=1).cpu().numpy()
            return predict

        aug_x, aug_y = augment_flip(X_train, y_train)
        X_fit = to_nchw(aug_x)
        started = time.perf_counter()
        if BACKEND == "torch":
            predict_fn = train_torch_cnn(X_fit, aug_y, DEVICE)
        else:
            predict_fn = train_numpy_mlp(X_fit, aug_y)
        print(f"trained on {len(X_fit)} patches with {BACKEND}/{DEVICE} in {time.perf_counter() - started:.1f} s")
        """,
    ),
    tests(
        "test_model",
        3,
        """
        test_pred = predict_in_batches(predict_fn, to_nchw(X_test), batch_size=64)
        test_acc = accuracy(y_test, test_pred)
        print(f"{BACKEND}/{DEVICE} test accuracy: {test_acc:.3f}")
        assert test_pred.shape == (len(y_test),)
        ### BEGIN HIDDEN TESTS
        assert test_acc >= 0.85, f"accuracy {test_acc:.3f} too low"
        assert set(np.unique(test_pred)) <= {0, 1, 2}
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        여러분의 실행에서 어떤 백엔드(`backend=...`)가 쓰였고 학습에 몇 초 걸렸는지 적으세요.
        16×16 패치 800장 정도의 작은 문제에서 GPU가 CPU보다 얼마나 빠를지, 그리고 GPU가 진짜로
        필요한 검사 문제는 어떤 것인지 (이미지 크기, 데이터 양, 모델 크기 관점) 3~5문장으로 쓰세요.

        *채점 기준*: 실행 결과를 정확히 보고(1점), 작은 문제에서는 데이터 전송·커널 시작 비용 때문에
        GPU 이득이 작고, 고해상도·대량 이미지·큰 모델에서 이득이 커진다는 설명(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 제 실행에서는 backend=numpy, device=cpu였고 학습에 약 1초 걸렸습니다. 이 정도로
        작은 문제는 GPU로 옮겨도 데이터 전송과 커널 실행 준비 비용이 계산 시간보다 커서 이득이
        거의 없습니다. 실제 압연 라인처럼 수천 픽셀 폭의 고해상도 이미지를 초당 수십 장 처리하거나,
        수십만 장으로 큰 CNN을 학습할 때는 합성곱 연산이 병렬화되어 GPU가 수십 배 빨라집니다.
        """,
    ),
]
