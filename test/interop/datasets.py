"""MLflow Python's side of test/interop/datasets.test.ts.

    datasets.py log <tracking_uri> <experiment>   logs the control run; prints its run id
    datasets.py read <tracking_uri> <run_id>      prints the run's dataset inputs as JSON

The data here and in the test are the same values.
"""

import json
import sys
import warnings

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities import LoggedModelInput

warnings.filterwarnings("ignore")
URL = "https://example.com/data/iris.csv"


def log(experiment):
    mlflow.set_experiment(experiment)
    df = pd.DataFrame({
        "sepal_length": [5.1, 4.9, 6.3, float("nan")],
        "species": ["setosa", "setosa", "virginica", "virginica"],
        "petal": [1, 2, 3, 4],
        "ok": [True, False, True, True],
    })
    features = (np.arange(12, dtype=np.float32) / 2).reshape(3, 4)
    targets = np.array([0, 1, 2], dtype=np.int64)
    with mlflow.start_run() as run:
        mlflow.log_input(mlflow.data.from_pandas(df, source=URL, name="iris"), context="training", tags={"split": "a"})
        mlflow.log_input(mlflow.data.from_numpy(features, targets=targets, source=URL, name="f32"), context="eval")
        model = mlflow.initialize_logged_model(name="m")
        mlflow.log_input(model=LoggedModelInput(model.model_id))
    print(run.info.run_id)


def read(run_id):
    out = []
    for i in mlflow.get_run(run_id).inputs.dataset_inputs:
        d = i.dataset
        out.append({
            "name": d.name,
            "digest": d.digest,
            "source_type": d.source_type,
            "source": d.source,
            "schema": d.schema,
            "profile": d.profile,
            "tags": {t.key: t.value for t in i.tags},
        })
    models = [m.model_id for m in mlflow.get_run(run_id).inputs.model_inputs]
    print(json.dumps({"datasets": sorted(out, key=lambda x: x["name"]), "models": models}))


if __name__ == "__main__":
    mode, uri, arg = sys.argv[1:4]
    mlflow.set_tracking_uri(uri)
    log(arg) if mode == "log" else read(arg)
