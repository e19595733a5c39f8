"""MLflow's Python client doing its best: log_batch in 1000-metric chunks.

Usage: python python_log_batch.py TRACKING_URI EXPERIMENT RUNS POINTS_PER_RUN
Prints {"seconds": …} for creating the runs, uploading every point and ending
the runs (building the Metric objects is done before the clock starts).
"""
import json
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric

uri, experiment, runs, points = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = MlflowClient(tracking_uri=uri)
experiment_id = client.create_experiment(experiment)
now = int(time.time() * 1000)
metrics = [Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(points)]

start = time.perf_counter()
for r in range(runs):
    run_id = client.create_run(experiment_id, run_name=f"py-{r}").info.run_id
    for chunk in range(0, points, 1000):
        client.log_batch(run_id, metrics=metrics[chunk : chunk + 1000], synchronous=True)
    client.set_terminated(run_id)
print(json.dumps({"seconds": time.perf_counter() - start}))
