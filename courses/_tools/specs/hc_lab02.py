"""Smart healthcare, lab 2: ECG R-peak detection, heart-rate variability and irregular rhythm."""

from nbcells import instructions, locked_code, manual, solution, tests

COURSE = "smart-healthcare-vitals"
ASSIGNMENT = "lab02-ecg-hrv"
NOTEBOOK = "ecg_hrv"

CELLS = [
    instructions(
        "intro",
        """
        # Lab 2. 심전도(ECG) R-peak 검출과 심박 변이도(HRV)

        웨어러블 심전도 패치는 심장 박동마다 뾰족한 **R 파(R-peak)** 를 기록합니다. R-peak 사이 간격
        (**RR interval**)에서 심박수와 **심박 변이도(HRV, heart-rate variability)** 를 구하고, 간격이
        불규칙한 리듬(심방세동 atrial fibrillation 의심)을 선별합니다. **교육용 합성 신호**이며 진단에
        쓰지 마세요.

        데이터: 250 Hz, 60초 기록 8개 (규칙적인 동리듬 sinus rhythm 4개, 불규칙 리듬 4개), 기저선
        흔들림(baseline wander)과 잡음 포함. 각 기록의 실제 R-peak 위치 `true_peaks`가 주어집니다.

        구현할 것:
        1. 이동 평균으로 기저선 제거
        2. 불응기(refractory period)를 지키는 R-peak 검출
        3. RR 간격, 평균 심박수, SDNN, RMSSD
        4. 불규칙 리듬 선별
        """,
    ),
    locked_code(
        "data",
        """
        import numpy as np

        FS = 250

        def make_ecg(irregular, seed, seconds=60):
            rng = np.random.default_rng(seed)
            n = seconds * FS
            t = np.arange(n) / FS
            beats, now = [], 0.5
            mean_rr = rng.uniform(0.7, 0.95)
            while now < seconds - 0.5:
                beats.append(now)
                now += rng.uniform(0.45, 1.05) if irregular else rng.normal(mean_rr, 0.025)
            x = 0.3 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 6)) + rng.normal(0, 0.03, n)
            for b in beats:
                if not irregular:
                    x += 0.12 * np.exp(-((t - b + 0.16) ** 2) / (2 * 0.02**2))   # P wave
                x += 1.2 * np.exp(-((t - b) ** 2) / (2 * 0.008**2))               # QRS
                x -= 0.15 * np.exp(-((t - b - 0.03) ** 2) / (2 * 0.01**2))
                x += 0.3 * np.exp(-((t - b - 0.3) ** 2) / (2 * 0.05**2))          # T wave
            return x, np.round(np.array(beats) * FS).astype(int)

        RECORDS = [make_ecg(irregular=k % 2 == 1, seed=100 + k) for k in range(8)]
        LABELS = np.array([k % 2 for k in range(8)])   # 1 = irregular
        ecg, true_peaks = RECORDS[0]
        print(len(RECORDS), "records of", len(ecg), "samples;", len(true_peaks), "beats in record 0")
        """,
    ),
    instructions(
        "task_baseline",
        """
        ## 1. 기저선 제거 (2점)

        `remove_baseline(x, fs, window_s=0.6)`: 창 크기 `w = int(window_s * fs)`(짝수면 1 더해 홀수로)의
        이동 평균 `np.convolve(x, np.ones(w) / w, mode="same")`을 `x`에서 뺀 배열.
        """,
    ),
    solution(
        "baseline",
        '''
        def remove_baseline(x, fs, window_s=0.6):
            """x minus its centred moving average over an odd window of about window_s seconds."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            w = int(window_s * fs)
            w += 1 - w % 2
            return x - np.convolve(x, np.ones(w) / w, mode="same")
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_baseline",
        2,
        """
        flat = remove_baseline(ecg, FS)
        assert flat.shape == ecg.shape
        mid = slice(FS, len(ecg) - FS)
        assert abs(np.median(flat[mid])) < abs(np.median(ecg[mid])) + 0.05
        ### BEGIN HIDDEN TESTS
        const = remove_baseline(np.full(1000, 5.0), FS)
        assert np.allclose(const[200:800], 0.0)
        w = int(0.6 * FS) + 1
        assert np.allclose(flat, ecg - np.convolve(ecg, np.ones(w) / w, mode="same"))
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_peaks",
        """
        ## 2. R-peak 검출 (5점)

        `detect_r_peaks(x, fs, refractory_s=0.25)` — `x`는 기저선이 제거된 신호입니다.
        1. 임계값 `thr = 0.5 * np.percentile(x, 99)`
        2. 후보: `x[i] > thr`이고 국소 최대(`x[i] > x[i-1]` 그리고 `x[i] >= x[i+1]`)인 `i` (양 끝 제외)
        3. 시간 순서로 보며, 마지막으로 남긴 peak와 `refractory_s`초(샘플 `refractory_s * fs`) **미만**으로
           가까우면 둘 중 **더 높은** 것만 남깁니다 (심장은 그보다 빨리 다시 뛸 수 없습니다).

        정수 인덱스 배열(오름차순)을 돌려줍니다.
        """,
    ),
    solution(
        "peaks",
        '''
        def detect_r_peaks(x, fs, refractory_s=0.25):
            """Indices of R-peaks: local maxima above half the 99th percentile, one per refractory period."""
            ### BEGIN SOLUTION
            x = np.asarray(x, dtype=float)
            thr = 0.5 * np.percentile(x, 99)
            mid = x[1:-1]
            candidates = np.flatnonzero((mid > thr) & (mid > x[:-2]) & (mid >= x[2:])) + 1
            kept = []
            for i in candidates:
                if kept and i - kept[-1] < refractory_s * fs:
                    if x[i] > x[kept[-1]]:
                        kept[-1] = i
                else:
                    kept.append(i)
            return np.array(kept, dtype=int)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_peaks",
        5,
        """
        peaks = detect_r_peaks(remove_baseline(ecg, FS), FS)
        print(len(peaks), "peaks found,", len(true_peaks), "true")
        toy = np.zeros(100)
        toy[[10, 15, 60]] = [1.0, 2.0, 1.5]
        assert detect_r_peaks(toy, fs=100, refractory_s=0.2).tolist() == [15, 60]
        ### BEGIN HIDDEN TESTS
        for x, truth in RECORDS:
            found = detect_r_peaks(remove_baseline(x, FS), FS)
            hits = sum(np.min(np.abs(found - p)) <= 3 for p in truth)
            assert hits >= 0.98 * len(truth) and len(found) <= len(truth) + 1
        assert detect_r_peaks(toy, fs=100, refractory_s=0.04).tolist() == [10, 15, 60]
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "task_hrv",
        """
        ## 3. RR 간격과 HRV (4점)

        - `rr_intervals_ms(peaks, fs)`: 이웃한 peak 간격(밀리초) 배열
        - `hrv(rr_ms)`: `{"mean_hr": 60000 / 평균 RR, "sdnn": RR의 표준편차(ddof=1), "rmssd": 이웃 RR 차이의
          제곱평균제곱근}` (모두 `float`)
        - `is_irregular(rr_ms, threshold=0.1)`: `rmssd / 평균 RR > threshold`이면 `True`
        """,
    ),
    solution(
        "hrv",
        '''
        def rr_intervals_ms(peaks, fs):
            """Successive peak intervals in milliseconds."""
            ### BEGIN SOLUTION
            return np.diff(np.asarray(peaks)) / fs * 1000.0
            ### END SOLUTION


        def hrv(rr_ms):
            """mean_hr (bpm), sdnn and rmssd (ms) of RR intervals."""
            ### BEGIN SOLUTION
            rr = np.asarray(rr_ms, dtype=float)
            return {
                "mean_hr": float(60000.0 / rr.mean()),
                "sdnn": float(rr.std(ddof=1)),
                "rmssd": float(np.sqrt(np.mean(np.diff(rr) ** 2))),
            }
            ### END SOLUTION


        def is_irregular(rr_ms, threshold=0.1):
            """True when RMSSD relative to the mean RR exceeds threshold."""
            ### BEGIN SOLUTION
            rr = np.asarray(rr_ms, dtype=float)
            return bool(hrv(rr)["rmssd"] / rr.mean() > threshold)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_hrv",
        4,
        """
        assert np.allclose(rr_intervals_ms([0, 250, 450], 250), [1000.0, 800.0])
        h = hrv([800.0, 850.0, 800.0, 750.0])
        assert np.isclose(h["mean_hr"], 75.0) and np.isclose(h["rmssd"], 50.0)
        results = []
        for x, _ in RECORDS:
            rr = rr_intervals_ms(detect_r_peaks(remove_baseline(x, FS), FS), FS)
            results.append(is_irregular(rr))
            print(f"HR {hrv(rr)['mean_hr']:5.1f} bpm  RMSSD {hrv(rr)['rmssd']:6.1f} ms  irregular={results[-1]}")
        ### BEGIN HIDDEN TESTS
        assert np.isclose(h["sdnn"], np.std([800.0, 850.0, 800.0, 750.0], ddof=1))
        assert results == [bool(v) for v in LABELS]
        true_rr = rr_intervals_ms(true_peaks, FS)
        assert abs(hrv(rr_intervals_ms(detect_r_peaks(remove_baseline(ecg, FS), FS), FS))["mean_hr"]
                   - hrv(true_rr)["mean_hr"]) < 2.0
        assert is_irregular([800.0] * 10) is False
        ### END HIDDEN TESTS
        """,
    ),
    instructions(
        "reflection_prompt",
        """
        ## 4. 생각해 보기 (수동 채점, 2점)

        이 선별 규칙을 고령 근로자용 웨어러블 앱에 넣어 "불규칙 리듬" 알림을 보낸다고 합시다. 어떤 경우에
        잘못된 알림(예: 움직임 잡음, 조기 수축)이 생길 수 있는지, 그리고 사용자와 의료진에게 결과를 어떻게
        전달해야 하는지 3~5문장으로 쓰세요.

        *채점 기준*: 오탐·미탐의 구체적 원인(1점), 진단이 아닌 선별임을 알리고 의료진 확인으로 연결하며
        개인 건강 정보의 동의·보호를 지키는 전달 방식(1점).
        """,
    ),
    manual(
        "reflection",
        2,
        """
        (모범 답안) 걷거나 팔을 움직이면 근전도 잡음이 R-peak처럼 검출되거나 peak를 놓쳐 RR 간격이 불규칙해
        보이고, 건강한 사람의 조기 수축이나 호흡에 따른 변동도 오탐을 만듭니다. 반대로 짧게 지나가는
        발작성 부정맥은 60초 기록에서 놓칠 수 있습니다. 알림은 "진단이 아닌 선별 결과"임을 분명히 하고,
        원 신호와 함께 의료진 확인을 권하며, 회사나 보험사 등 제3자에게는 본인의 동의 없이 전달하지 않습니다.
        """,
    ),
]
