"""MLflow's Python client uploading many small runs, one request per step.

Usage: python python_small_runs.py TRACKING_URI EXPERIMENT RUNS
Each run: create_run, one log_batch (10 params, 5 tags, 5 metrics x 20
steps), set_terminated, as bench/small-runs.bench.ts logs in the browser.
Prints {"seconds": …} for the uploads (building the entities is done
before the clock starts).
"""
import json
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

uri, experiment, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = MlflowClient(tracking_uri=uri)
experiment_id = client.create_experiment(experiment)
now = int(time.time() * 1000)
batches = [
    (
        [Param(f"p{i}", f"{r}-value-{i}") for i in range(10)],
        [RunTag(f"t{i}", f"tag-{i}") for i in range(5)],
        [Metric(f"m{k}", (r + k + 1) / (s + 1), now + s, s) for k in range(5) for s in range(20)],
    )
    for r in range(runs)
]

start = time.perf_counter()
for r, (params, tags, metrics) in enumerate(batches):
    run_id = client.create_run(experiment_id, run_name=f"py-{r}").info.run_id
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags, synchronous=True)
    client.set_terminated(run_id)
print(json.dumps({"seconds": time.perf_counter() - start}))
