"""MLflow Python's side of bench/datasets.mjs: the time of mlflow.data.from_pandas(df) and its
digest, schema and profile (to_dict) for the same 100k-row table, median of REPEAT runs, as JSON."""

import json
import statistics
import sys
import time
import warnings

import mlflow
import pandas as pd

warnings.filterwarnings("ignore")
ROWS, REPEAT = int(sys.argv[1]), int(sys.argv[2])
URL = "https://example.com/data/bench.csv"

# The same formulas as bench/datasets.mjs's `columns(n)`.
df = pd.DataFrame({
    "id": [i for i in range(ROWS)],
    "x": [(i % 1000) / 8 for i in range(ROWS)],
    "y": [float(i % 7) - 0.5 for i in range(ROWS)],
    "label": [f"class-{i % 13}" for i in range(ROWS)],
    "flag": [i % 3 == 0 for i in range(ROWS)],
})
times = []
result = None
for _ in range(REPEAT):
    start = time.perf_counter()
    result = mlflow.data.from_pandas(df, source=URL, name="bench").to_dict()
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"ms": statistics.median(times), "digest": result["digest"], "profile": result["profile"]}))
