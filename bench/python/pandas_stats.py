"""pandas baseline for the statistics figure: describe() of the numeric columns plus
value_counts() of every text column, on a CSV export of the same data (pandas cannot read
Parquet here: Debian 12 has no pyarrow). The CSV load is timed apart from the statistics.

usage: pandas_stats.py FILE.csv RUNS [DATE_COLUMN ...]  -> one JSON line on stdout
"""
import json
import sys
import time

import pandas as pd


def peak_rss_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return None


def stats(df):
    numeric = df.select_dtypes(include='number')
    out = numeric.describe()  # count, mean, std, min, quartiles, max
    counts = {c: df[c].value_counts(dropna=False).head(20) for c in df.columns if c not in numeric.columns}
    missing = df.isna().sum()  # TFDV's num_missing
    zeros = (numeric == 0).sum()  # TFDV's num_zeros
    return out, counts, missing, zeros


def main():
    path, runs, dates = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    t = time.perf_counter()
    df = pd.read_csv(path, parse_dates=dates or False)
    load_ms = (time.perf_counter() - t) * 1000
    stats(df)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        stats(df)
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({'rows': len(df), 'load_ms': load_ms, 'compute_ms': times, 'peak_rss_mib': peak_rss_mib(), 'pandas': pd.__version__}))


main()
