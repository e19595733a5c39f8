"""The Python side of test/interop/system-metrics.test.ts: a control run with
MLflow's own system metrics monitor (psutil), sampled every second for a few
seconds, then the names and steps of every `system/` metric of the control run
and of the run mlflow-edge logged, as MLflow Python reads them, as JSON.

    .venv/bin/python test/interop/system_metrics_control.py <tracking uri> <experiment> <edge run id>

Needs psutil in the venv (test/interop/requirements.txt), as MLflow's monitor does.
"""

import json
import sys
import time

import mlflow
from mlflow.tracking import MlflowClient

uri, experiment, edge_run_id = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)
mlflow.set_system_metrics_sampling_interval(1)
with mlflow.start_run(run_name="python-control", log_system_metrics=True) as run:
    time.sleep(4.5)
control_id = run.info.run_id

client = MlflowClient()


def system_metrics(run_id):
    data = client.get_run(run_id).data
    return {
        key: [m.step for m in client.get_metric_history(run_id, key)]
        for key in sorted(data.metrics)
        if key.startswith("system/")
    }


print(json.dumps({"python": system_metrics(control_id), "edge": system_metrics(edge_run_id)}))
