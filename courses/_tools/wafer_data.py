"""Source of the synthetic wafer-map generator shared by the semiconductor labs.

Pasted into each notebook's locked data cell. Encoding follows the public WM-811K convention:
0 = no die (off the wafer), 1 = good die, 2 = failing die.
"""

MAKE_WAFERS = '''
import numpy as np

PATTERNS = ["none", "center", "edge_ring", "scratch", "local"]
SIZE = 25   # 25 x 25 die grid, wafer radius 12 dies

def make_wafers(n_per_pattern, seed):
    """(maps int8 (n, 25, 25), pattern labels (n,)), shuffled; 0 off-wafer, 1 good, 2 fail."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    c = (SIZE - 1) / 2
    r = np.hypot(yy - c, xx - c)
    on_wafer = r <= c + 0.3
    maps, labels = [], []
    for label, pattern in enumerate(PATTERNS):
        for _ in range(n_per_pattern):
            fail = rng.random((SIZE, SIZE)) < rng.uniform(0.01, 0.05)   # random particles
            if pattern == "center":
                fail |= (r < rng.uniform(3.0, 5.0)) & (rng.random((SIZE, SIZE)) < 0.8)
            elif pattern == "edge_ring":
                fail |= (r > c - rng.uniform(1.5, 2.5)) & (rng.random((SIZE, SIZE)) < 0.7)
            elif pattern == "scratch":
                angle, length = rng.uniform(0, np.pi), rng.uniform(9, 16)
                y0, x0 = rng.uniform(6, 18, 2)
                for s in np.linspace(0, length, 60):
                    y, x = int(round(y0 + s * np.sin(angle))), int(round(x0 + s * np.cos(angle)))
                    if 0 <= y < SIZE and 0 <= x < SIZE and rng.random() < 0.95:
                        fail[y, x] = True
            elif pattern == "local":
                dist, theta = rng.uniform(3, 8), rng.uniform(0, 2 * np.pi)
                cy, cx = c + dist * np.sin(theta), c + dist * np.cos(theta)
                blob = np.hypot(yy - cy, xx - cx) < rng.uniform(2.0, 3.0)
                fail |= blob & (rng.random((SIZE, SIZE)) < 0.85)
            maps.append(np.where(on_wafer, np.where(fail, 2, 1), 0).astype(np.int8))
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.array(maps)[order], np.array(labels)[order]
'''.strip()
