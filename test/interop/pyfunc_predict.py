"""Loads a model with MLflow Python and predicts: the other side of the browser.

Usage: python pyfunc_predict.py TRACKING_URI MODEL_URI INPUTS_JSON
Prints the predictions as JSON ({output name: nested list}).
"""
import json
import sys

import numpy as np

import mlflow.pyfunc

mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(sys.argv[2])
inputs = np.array(json.loads(sys.argv[3]), dtype=np.float32)
out = model.predict(inputs)
print(json.dumps({name: np.asarray(value).tolist() for name, value in out.items()}))
