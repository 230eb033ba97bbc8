"""Source of the synthetic steel-plate patch generator shared by the quality-inspection labs.

The code is pasted into each notebook's locked data cell (notebooks stay self-contained);
keeping one copy here means the three labs always generate the same kind of data.
"""

MAKE_PATCHES = '''
import numpy as np

CLASSES = ["normal", "scratch", "spot"]   # 정상, 스크래치(압연 방향), 반점(피트/개재물)

def make_patches(n_per_class, seed):
    """16x16 grey patches of a steel plate surface, float32 in [0, 1], shuffled."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:16, 0:16]
    images, labels = [], []
    for label in range(3):
        for _ in range(n_per_class):
            gy, gx = rng.normal(0, 0.003, 2)   # 조명 기울기 (illumination gradient)
            img = 0.6 + gx * (xx - 7.5) + gy * (yy - 7.5) + rng.normal(0, 0.04, (16, 16))
            if label == 1:   # 압연 방향(가로)에 가까운 긁힘
                start = int(rng.integers(0, 5))
                cols = np.arange(start, start + int(rng.integers(10, 17 - start)))
                centre, slope = rng.uniform(2, 13), rng.uniform(-0.15, 0.15)
                rows = np.clip(np.round(centre + slope * (cols - 7.5)), 0, 15).astype(int)
                img[rows, cols] -= rng.uniform(0.25, 0.4)
            elif label == 2:   # 둥근 어두운 반점
                cy, cx = rng.uniform(3, 12, 2)
                radius = rng.uniform(1.2, 2.2)
                blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
                img -= rng.uniform(0.3, 0.45) * blob
            images.append(np.clip(img, 0, 1))
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.array(images, dtype=np.float32)[order], np.array(labels)[order]
'''.strip()
