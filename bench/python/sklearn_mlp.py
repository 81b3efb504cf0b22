"""scikit-learn baseline for the training figure: MLPClassifier with two hidden layers of 64
ReLU units, solver adam, on the very float32 matrix the TF.js run trains on. Only fit() is
timed; max_iter is the number of epochs, with tol and n_iter_no_change set so that it never
stops early.

usage: sklearn_mlp.py DATA.bin N WIDTH BATCH EPOCHS RUNS  -> one JSON line on stdout
DATA.bin: N rows of WIDTH float32 features followed by N float32 class labels.
"""
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def peak_rss_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return None


def threads():
    try:
        from threadpoolctl import threadpool_info
        return max((i.get('num_threads', 1) for i in threadpool_info()), default=1)
    except Exception:
        return None


def main():
    path, n, width, batch, epochs, runs = sys.argv[1], *map(int, sys.argv[2:7])
    raw = np.fromfile(path, dtype=np.float32)
    x = raw[: n * width].reshape(n, width)
    y = raw[n * width : n * width + n].astype(np.int64)
    warnings.simplefilter('ignore', ConvergenceWarning)

    def fit(rows, iters):
        m = MLPClassifier(hidden_layer_sizes=(64, 64), batch_size=batch, solver='adam', learning_rate_init=0.01,
                          max_iter=iters, tol=0.0, n_iter_no_change=10**9, shuffle=True, random_state=1)
        t, c = time.perf_counter(), time.process_time()
        m.fit(x[:rows], y[:rows])
        return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000

    fit(min(n, batch * 8), 1)  # warm-up
    runs_ = [fit(n, epochs) for _ in range(runs)]
    print(json.dumps({'fit_ms': [w for w, _ in runs_], 'cpu_ms': [c for _, c in runs_], 'threads': threads(), 'samples': n * epochs, 'peak_rss_mib': peak_rss_mib(), 'sklearn': sklearn.__version__}))


main()
