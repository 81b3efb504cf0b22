"""scikit-learn baseline for the decision-forest training figure: HistGradientBoostingClassifier
with its defaults (early stopping on a 10% validation share above 10,000 rows, as YDF's default
holds out 10%) on the very float32 matrix the YDF run trains on. Only fit() is timed, wall-clock
and process CPU (OpenMP threads count).

usage: sklearn_hgb.py DATA.bin N WIDTH RUNS  -> one JSON line on stdout
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


def main():
    path, n, width, runs = sys.argv[1], *map(int, sys.argv[2:5])
    raw = np.fromfile(path, dtype=np.float32)
    x = raw[: n * width].reshape(n, width)
    y = raw[n * width : n * width + n].astype(np.int64)
    ms, cpu = [], []
    for _ in range(runs):
        m = HistGradientBoostingClassifier(random_state=1)
        t, c = time.perf_counter(), time.process_time()
        m.fit(x, y)
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    print(json.dumps({'fit_ms': ms, 'cpu_ms': cpu, 'iterations': int(m.n_iter_)}))


if __name__ == '__main__':
    main()
