"""The Python side of test/interop/native.spec.ts: logs a control run with MLflow
Python, then reads it and the browser's run back and prints both as JSON.

    .venv/bin/python test/interop/native_control.py <tracking uri> <experiment> <browser run id> <browser renamed run id>
"""

import json
import sys

import mlflow
from mlflow.tracking import MlflowClient

uri, experiment, browser_run_id, browser_renamed_id = sys.argv[1:5]
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)
with mlflow.start_run(run_name="python-control") as run:
    mlflow.log_params({"lr": 1e-5, "big": 1e16, "tiny": 1e-7, "epochs": 10, "zero": -0.0, "flag": True, "none": None})
    mlflow.set_tag("eps", 1e-8)
control_id = run.info.run_id

client = MlflowClient()
# A description at the start, then a new name and description, as the browser's renamed run.
with mlflow.start_run(run_name="draft", description="first notes") as renamed:
    client.update_run(renamed.info.run_id, name="final")
    mlflow.set_tag("mlflow.note.content", "final notes")


def snapshot(run_id):
    r = client.get_run(run_id)
    return {"params": r.data.params, "tags": r.data.tags, "user_id": r.info.user_id, "run_name": r.info.run_name}


browser = snapshot(browser_run_id)
best = browser["tags"].get("best_run_id")
found = mlflow.search_runs(
    experiment_names=[experiment], filter_string="params.lr = '1e-05' AND params.big = '1e+16'", output_format="list"
)
print(
    json.dumps(
        {
            "control": snapshot(control_id),
            "browser": browser,
            "best_run_name": client.get_run(best).info.run_name if best else None,
            "found": sorted(r.info.run_id for r in found),
            "control_id": control_id,
            "control_renamed": snapshot(renamed.info.run_id),
            "browser_renamed": snapshot(browser_renamed_id),
        }
    )
)
