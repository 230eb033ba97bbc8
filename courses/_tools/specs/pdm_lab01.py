"""Smart factory PdM, lab 1: vibration features (RMS, crest factor, kurtosis, spectrum)."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-factory-pdm"
ASSIGNMENT = "lab01-vibration-features"
NOTEBOOK = "vibration_features"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 1. 진동 신호 특징 추출 — 원심 펌프 베어링

        조선소 냉각수 펌프와 석유화학 공정의 원심 펌프(centrifugal pump)에는 가속도계
        (accelerometer)가 달려 있습니다. 베어링 외륜(outer race)에 결함이 생기면 회전할 때마다
        작은 **충격(impulse)** 이 생기고, 이것이 진동 신호의 모양을 바꿉니다.

        샘플링 주파수(sampling rate) `FS = 1024 Hz`, 1초 창(window) 1,024개 샘플입니다.
        정상(healthy) 50개, 결함(faulty) 30개 창이 주어집니다.

        구현할 특징(feature):
        - **RMS** (root mean square): 진동 에너지의 크기
        - **crest factor** = peak / RMS: 뾰족한 충격에 민감
        - **kurtosis** (첨도, Pearson 정의, 정규분포 = 3): 충격성 신호에서 커짐
        - **dominant frequency**: FFT 크기 스펙트럼에서 가장 큰 성분의 주파수

        모든 함수는 1차원 신호 하나(`shape (n,)`)와 여러 창(`shape (m, n)`, 마지막 축이 시간)
        모두에 동작해야 합니다: `axis=-1`을 쓰세요.
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np
        import pandas as pd

        FS = 1024          # Hz
        N = 1024           # samples per window
        SHAFT_HZ = 25.0    # 1x 회전 주파수 (1500 rpm)
        BPFO_HZ = 87.0     # 외륜 결함 주파수 (ball pass frequency, outer race)

        def make_windows(n_windows, faulty, rng):
            t = np.arange(N) / FS
            out = np.empty((n_windows, N))
            for i in range(n_windows):
                phase = rng.uniform(0, 2 * np.pi)
                x = 0.5 * np.sin(2 * np.pi * SHAFT_HZ * t + phase) + 0.15 * np.sin(4 * np.pi * SHAFT_HZ * t)
                x += rng.normal(0, 0.2, N)
                if faulty:
                    ring = np.exp(-t[:40] * 600) * np.sin(2 * np.pi * 300 * t[:40])
                    amp = rng.uniform(2.5, 3.5)
                    for start in np.arange(rng.uniform(0, 1 / BPFO_HZ), 1.0, 1 / BPFO_HZ):
                        k = int(start * FS)
                        seg = ring[: N - k]
                        x[k : k + len(seg)] += amp * seg
                out[i] = x
            return out

        rng = np.random.default_rng(42)
        windows = np.vstack([make_windows(50, False, rng), make_windows(30, True, rng)])
        labels = np.array([0] * 50 + [1] * 30)  # 0 = healthy, 1 = faulty
        print(windows.shape, labels.mean())
        """,
    ),
    instructions(
        "task_rms_crest",
        """
        ## 1. RMS와 crest factor (3점)

        - `rms(x)` = $\\sqrt{\\frac{1}{n}\\sum x_i^2}$ (마지막 축 기준)
        - `crest_factor(x)` = $\\max_i |x_i|$ / `rms(x)`

        확인: 진폭 $A$인 사인파의 RMS는 $A/\\sqrt{2}$, crest factor는 $\\sqrt{2}$입니다.
        """,
    ),
    solution(
        "rms_crest",
        '''
        def rms(x):
            """Root mean square along the last axis."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return np.sqrt(np.mean(x**2, axis=-1))
            ### END SOLUTION


        def crest_factor(x):
            """Peak absolute value divided by RMS, along the last axis."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            return np.max(np.abs(x), axis=-1) / rms(x)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_rms_crest",
        3,
        """
        t = np.arange(N) / FS
        sine = 2.0 * np.sin(2 * np.pi * 8 * t)
        assert np.isclose(rms(sine), np.sqrt(2.0))
        assert np.isclose(crest_factor(sine), np.sqrt(2.0), atol=1e-3)
        assert rms(windows).shape == (80,)
        ### BEGIN HIDDEN TESTS
        assert np.isclose(rms([3.0, -3.0, 3.0, -3.0]), 3.0)
        assert np.isclose(crest_factor(np.ones(10)), 1.0)
        assert np.allclose(crest_factor(windows), np.abs(windows).max(axis=1) / np.sqrt((windows**2).mean(axis=1)))
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_kurtosis",
        """
        ## 2. 첨도 kurtosis (3점)

        `kurtosis(x)` = $\\dfrac{\\frac{1}{n}\\sum (x_i-\\bar x)^4}{\\left(\\frac{1}{n}\\sum (x_i-\\bar x)^2\\right)^2}$

        (excess kurtosis가 아닌 Pearson 정의: 정규분포 ≈ 3, 사인파 = 1.5, 충격성 신호 > 3)
        """,
    ),
    solution(
        "kurtosis",
        '''
        def kurtosis(x):
            """Pearson kurtosis (normal = 3) along the last axis."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            centred = x - x.mean(axis=-1, keepdims=True)
            m2 = np.mean(centred**2, axis=-1)
            m4 = np.mean(centred**4, axis=-1)
            return m4 / m2**2
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_kurtosis",
        3,
        """
        gauss = np.random.default_rng(0).normal(size=200_000)
        assert abs(kurtosis(gauss) - 3.0) < 0.05
        t = np.arange(N) / FS
        assert np.isclose(kurtosis(np.sin(2 * np.pi * 8 * t)), 1.5, atol=1e-6)
        ### BEGIN HIDDEN TESTS
        k = kurtosis(windows)
        assert k.shape == (80,)
        assert k[labels == 1].mean() > k[labels == 0].mean() + 1.0
        assert np.isclose(kurtosis(5.0 + 2.0 * gauss), kurtosis(gauss)), "shift/scale invariant"
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_table",
        """
        ## 3. 특징 표와 주파수 (3점)

        - `feature_table(windows)`: 창마다 한 행, 열 `rms`, `peak`(절댓값 최대), `crest_factor`,
          `kurtosis`를 가진 `DataFrame`
        - `dominant_frequency(x, fs)`: `np.fft.rfft`의 크기(magnitude)에서 **직류 성분(0 Hz)을 뺀**
          최댓값의 주파수(Hz). `np.fft.rfftfreq(len(x), 1 / fs)`를 쓰세요. 1차원 입력만 다룹니다.
        """,
    ),
    solution(
        "feature_table",
        '''
        def feature_table(windows):
            """One row per window: rms, peak, crest_factor, kurtosis."""
            ### BEGIN SOLUTION
            windows = np.asarray(windows, dtype=float)
            return pd.DataFrame(
                {
                    "rms": rms(windows),
                    "peak": np.abs(windows).max(axis=-1),
                    "crest_factor": crest_factor(windows),
                    "kurtosis": kurtosis(windows),
                }
            )
            ### END SOLUTION


        def dominant_frequency(x, fs):
            """Frequency (Hz) of the largest non-DC FFT magnitude of a 1-D signal."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            spectrum = np.abs(np.fft.rfft(x))
            freqs = np.fft.rfftfreq(len(x), 1 / fs)
            return float(freqs[1:][np.argmax(spectrum[1:])])
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_feature_table",
        3,
        """
        table = feature_table(windows)
        print(table.groupby(labels).mean().round(2))
        assert list(table.columns) == ["rms", "peak", "crest_factor", "kurtosis"]
        assert len(table) == 80
        assert np.isclose(dominant_frequency(np.sin(2 * np.pi * 37 * np.arange(N) / FS), FS), 37.0)
        ### BEGIN HIDDEN TESTS
        assert np.isclose(dominant_frequency(3.0 + np.sin(2 * np.pi * 5 * np.arange(512) / 256), 256), 5.0)
        assert np.isclose(dominant_frequency(windows[0], FS), SHAFT_HZ)
        assert np.allclose(table["peak"], np.abs(windows).max(axis=1))
        healthy, faulty = table[labels == 0], table[labels == 1]
        assert faulty["crest_factor"].min() > healthy["crest_factor"].median()
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        RMS와 kurtosis 중 **초기 베어링 결함**을 먼저 알려 주는 특징은 무엇일까요? 결함이 진행되어
        손상이 넓어지면(많은 충격이 겹침) kurtosis는 어떻게 변할지 예상하고, 현장 모니터링에
        주는 의미를 3~5문장으로 쓰세요.

        *채점 기준*: 초기에는 kurtosis/crest factor가 민감하다는 근거(1점), 진행 단계에서 kurtosis가
        다시 낮아지고 RMS가 커지므로 여러 특징을 함께 추세로 봐야 한다는 결론(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 초기 결함은 에너지가 작아 RMS는 거의 변하지 않지만 드문 충격이 분포의 꼬리를
        키우므로 kurtosis와 crest factor가 먼저 커집니다. 결함이 넓어지면 충격이 겹쳐 신호가
        다시 "고르게" 거칠어지므로 kurtosis는 3 근처로 내려오고 대신 RMS가 커집니다. 따라서
        kurtosis 하나만 보면 진행된 결함을 정상으로 착각할 수 있어, RMS·kurtosis·스펙트럼
        (BPFO 성분)을 함께 시간 추세로 모니터링해야 합니다.
        """,
    ),
]
