"""Logs a scikit-learn model the way a Python user would, for the browser to load.

Trains a logistic regression on iris (shipped with scikit-learn), converts it
with skl2onnx, logs it with mlflow.onnx.log_model (a signature and an input
example) under a run, registers it and sets an alias. Prints one JSON line:
the run id, the logged model id, the registered name and version, and
onnxruntime's predictions in Python for the first 20 rows.

Usage: python log_sklearn_onnx.py TRACKING_URI EXPERIMENT REGISTERED_NAME ALIAS
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import mlflow
import mlflow.onnx
from mlflow import MlflowClient
from mlflow.models import infer_signature

tracking_uri, experiment, registered_name, alias = sys.argv[1:5]
mlflow.set_tracking_uri(tracking_uri)
mlflow.set_experiment(experiment)

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
model = LogisticRegression(max_iter=500).fit(X, y)
onx = to_onnx(model, X[:1], options={id(model): {"zipmap": False}}, target_opset=17)

session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
label, probabilities = session.run(None, {session.get_inputs()[0].name: X[:20]})

with mlflow.start_run() as run:
    mlflow.log_param("C", model.C)
    info = mlflow.onnx.log_model(
        onx,
        name="model",
        signature=infer_signature(X, {"label": label, "probabilities": probabilities}),
        input_example=X[:3],
        registered_model_name=registered_name,
    )

version = info.registered_model_version
MlflowClient().set_registered_model_alias(registered_name, alias, version)
print(
    json.dumps(
        {
            "run_id": run.info.run_id,
            "model_id": info.model_id,
            "version": str(version),
            "inputs": X[:20].tolist(),
            "label": label.tolist(),
            "probabilities": probabilities.tolist(),
        }
    )
)
