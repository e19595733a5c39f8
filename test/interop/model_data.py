"""MLflow Python's side of test/interop/model-data.spec.ts: a logged model's params and metrics.

  model_data.py control <tracking_uri> <experiment> <content.json>
      logs the control run as MLflow 3 users do: run params, a pyfunc model logged with params, then
      metrics with model_id, at step 0 after log_model (linked to the run's model output) and at
      another step (the run's only); prints {"runId": ..., "modelId": ...}
  model_data.py read <tracking_uri> <model_id>
      prints the logged model as mlflow.get_logged_model reads it: params, metrics, source_run_id,
      and the run's metric history of each key
  model_data.py clash <tracking_uri> <run_id> <model_id>
      logs two values of one model metric under one key, step and millisecond in one log-batch, as a
      client would; prints the server's answer (MLflow's logged_model_metrics key has no value)

Run with the repository's .venv (MLflow 3.17.2). Nothing here is a fixture: the spec runs it.
"""

import json
import os
import sys

import mlflow
from mlflow.entities import Metric
from mlflow.pyfunc import PythonModel


class Constant(PythonModel):
    def predict(self, context, model_input, params=None):
        return [1 for _ in range(len(model_input))]


def control(uri, experiment, content_file):
    with open(content_file) as f:
        content = json.load(f)
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="python") as run:
        mlflow.log_params(content["runParams"])
        info = mlflow.pyfunc.log_model(name="model", python_model=Constant(), params=content["modelParams"])
        for m in content["metrics"]:
            model_id = info.model_id if m.get("model") else None
            mlflow.log_metric(m["key"], m["value"], step=m.get("step", 0), timestamp=m["timestamp"], model_id=model_id)
        if "batch" in content:
            b = content["batch"]
            mlflow.log_metrics(b["metrics"], step=b.get("step", 0), timestamp=b["timestamp"])
    print(json.dumps({"runId": run.info.run_id, "modelId": info.model_id}))


def read(uri, model_id):
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    model = mlflow.get_logged_model(model_id)
    history = {}
    for key in sorted({m.key for m in model.metrics or []}):
        history[key] = sorted(
            [[p.step, p.timestamp, p.value] for p in client.get_metric_history(model.source_run_id, key)]
        )
    print(
        json.dumps({
            "params": model.params,
            "metrics": sorted(
                [[m.key, m.value, m.step, m.timestamp, m.run_id == model.source_run_id, m.model_id == model_id]
                 for m in model.metrics or []]
            ),
            "sourceRunId": model.source_run_id,
            "status": str(model.status),
            "runHistory": history,
        })
    )


def clash(uri, run_id, model_id):
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    metrics = [Metric("clash", v, 5, 0, model_id=model_id) for v in (1.0, 2.0)]
    try:
        client.log_batch(run_id, metrics=metrics)
        print(json.dumps({"ok": True}))
    except Exception as e:  # noqa: BLE001 - the answer is what the test reads
        print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e)[:300]}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "control":
        control(*sys.argv[2:5])
    elif mode == "read":
        read(*sys.argv[2:4])
    elif mode == "clash":
        clash(*sys.argv[2:5])
    else:
        raise SystemExit(f"unknown mode {mode}")
