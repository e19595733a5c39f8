"""The zoo: scikit-learn models as people export them, logged by MLflow Python.

For each case: train on a small fixed data set, convert with skl2onnx's
DEFAULT options (so classifiers keep their ZipMap), log with
mlflow.onnx.log_model (a signature inferred from a pandas DataFrame and an
input example), register as `zoo-<name>` with the alias `champion`, and
predict fixed rows with mlflow.pyfunc.load_model(...).predict(DataFrame).
Where pyfunc itself cannot run the model, the rows are run by onnxruntime in
Python instead, fed as the browser feeds them (each input of its declared
element type and rank), and the case says why.

Usage: python zoo.py TRACKING_URI OUT_JSON
Writes a JSON list: {name, uri, rows, one_row_per_call, compared_with, why, outputs}.
"""
import json
import sys
import warnings

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import mlflow
import mlflow.onnx
import mlflow.pyfunc
from mlflow import MlflowClient
from mlflow.models import infer_signature

warnings.filterwarnings("ignore")
tracking_uri, out_path = sys.argv[1:3]
mlflow.set_tracking_uri(tracking_uri)
mlflow.set_experiment("zoo")
client = MlflowClient()
ROWS = 8
OPSET = 17


def frame(X, prefix="f"):
    return pd.DataFrame(X, columns=[f"{prefix}{i}" for i in range(X.shape[1])])


Xc2, yc2 = make_classification(n_samples=160, n_features=4, n_informative=3, n_redundant=0, random_state=0)
Xc3, yc3 = make_classification(
    n_samples=180, n_features=4, n_informative=3, n_redundant=0, n_classes=3, n_clusters_per_class=1, random_state=1
)
Xr, yr = make_regression(n_samples=160, n_features=4, noise=0.1, random_state=2)
yr = yr / 100
Xm, ym = make_regression(n_samples=160, n_features=4, n_targets=2, noise=0.1, random_state=3)
ym = ym / 100
C2, C3, R, M = frame(Xc2), frame(Xc3), frame(Xr), frame(Xm)

rng = np.random.default_rng(4)
mixed = pd.DataFrame(
    {
        "city": rng.choice(["Oslo", "Lima", "Pune"], size=150),
        "size": rng.normal(50, 10, size=150).astype(np.float32),
        "rooms": rng.integers(1, 6, size=150),
    }
)
mixed_class = np.where(mixed["city"] == "Oslo", 0, np.where(mixed["size"] > 50, 1, 2))
mixed_target = (mixed["size"] / 10 + mixed["rooms"] * 0.5 + (mixed["city"] == "Lima") * 2).to_numpy()
coded = pd.DataFrame(
    {
        "size": mixed["size"],
        "weight": rng.normal(3, 1, size=150),
        "code": rng.integers(0, 3, size=150),
    }
)
coded_target = (coded["size"] / 10 + coded["code"] * 1.5 + coded["weight"]).to_numpy()


def plain(estimator, df, y):
    """A lone estimator: one 2-D float input 'X', as to_onnx(model, X[:1]) makes it."""
    model = estimator.fit(df.to_numpy(), y)
    return model, to_onnx(model, df.to_numpy()[:1].astype(np.float32), target_opset=OPSET)


def per_column(estimator, numbers=("size",)):
    """A ColumnTransformer over a DataFrame: one ONNX input per column ([None, 1] each)."""
    pipe = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
                        ("numbers", StandardScaler(), list(numbers)),
                    ]
                ),
            ),
            ("model", estimator),
        ]
    )
    return pipe


cases = []


def case(name, make, df, y):
    cases.append((name, make, df, y))


case("linear-regression", lambda df, y: plain(LinearRegression(), df, y), R, yr)
case("logistic-2", lambda df, y: plain(LogisticRegression(), df, y), C2, yc2)
case("logistic-3", lambda df, y: plain(LogisticRegression(max_iter=500), df, y), C3, yc3)
case("tree-classifier-3", lambda df, y: plain(DecisionTreeClassifier(max_depth=4, random_state=0), df, y), C3, yc3)
case("tree-regressor", lambda df, y: plain(DecisionTreeRegressor(max_depth=5, random_state=0), df, y), R, yr)
case("forest-classifier-2", lambda df, y: plain(RandomForestClassifier(10, max_depth=5, random_state=0), df, y), C2, yc2)
case("forest-regressor", lambda df, y: plain(RandomForestRegressor(10, max_depth=5, random_state=0), df, y), R, yr)
case("boosting-classifier-3", lambda df, y: plain(GradientBoostingClassifier(n_estimators=15, random_state=0), df, y), C3, yc3)
case("boosting-regressor", lambda df, y: plain(GradientBoostingRegressor(n_estimators=15, random_state=0), df, y), R, yr)
case("knn-classifier-3", lambda df, y: plain(KNeighborsClassifier(), df, y), C3, yc3)
case("knn-regressor", lambda df, y: plain(KNeighborsRegressor(), df, y), R, yr)
case("svm-classifier-2", lambda df, y: plain(SVC(), df, y), C2, yc2)
case("svm-regressor", lambda df, y: plain(SVR(), df, y), R, yr)
case("naive-bayes-3", lambda df, y: plain(GaussianNB(), df, y), C3, yc3)
case("mlp-classifier-2", lambda df, y: plain(MLPClassifier(hidden_layer_sizes=(8,), max_iter=400, random_state=0), df, y), C2, yc2)
case("mlp-regressor", lambda df, y: plain(MLPRegressor(hidden_layer_sizes=(8,), max_iter=400, random_state=0), df, y), R, yr)
case("multi-output-regressor", lambda df, y: plain(LinearRegression(), df, y), M, ym)


def pipe_columns_classifier(df, y):
    pipe = per_column(LogisticRegression(max_iter=500)).fit(df, y)
    return pipe, to_onnx(pipe, df[:1], target_opset=OPSET)


def pipe_columns_regressor(df, y):
    pipe = per_column(Ridge()).fit(df, y)
    return pipe, to_onnx(pipe, df[:1], target_opset=OPSET)


def pipe_columns_forest(df, y):
    pipe = per_column(RandomForestClassifier(8, max_depth=4, random_state=0), ("size", "rooms")).fit(df, y)
    return pipe, to_onnx(pipe, df[:1], target_opset=OPSET)


def pipe_matrix(df, y):
    # One 2-D input: the numbers and a category code in one float matrix, the code one-hot encoded.
    pipe = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [("numbers", StandardScaler(), [0, 1]), ("code", OneHotEncoder(handle_unknown="ignore"), [2])]
                ),
            ),
            ("model", LinearRegression()),
        ]
    ).fit(df.to_numpy(dtype=np.float32), y)
    return pipe, to_onnx(pipe, df.to_numpy(dtype=np.float32)[:1], target_opset=OPSET)


def pipe_fixed_batch(df, y):
    pipe = Pipeline([("scale", StandardScaler()), ("model", LinearRegression())]).fit(df.to_numpy(), y)
    return pipe, to_onnx(pipe, initial_types=[("X", FloatTensorType([1, df.shape[1]]))], target_opset=OPSET)


case("pipeline-columns-classifier-3", pipe_columns_classifier, mixed[["city", "size"]], mixed_class)
case("pipeline-columns-regressor", pipe_columns_regressor, mixed[["city", "size"]], mixed_target)
case("pipeline-columns-forest-2", pipe_columns_forest, mixed, (mixed_class == 1).astype(int))
case("pipeline-matrix-regressor", pipe_matrix, coded, coded_target)
case("pipeline-fixed-batch-1", pipe_fixed_batch, R, yr)


def jsonable(values):
    out = []
    for v in values:
        if isinstance(v, dict):
            out.append({str(k): float(p) for k, p in v.items()})
        elif isinstance(v, (np.integer, int)) and not isinstance(v, bool):
            out.append(int(v))
        elif isinstance(v, (np.floating, float)):
            out.append(float(v))
        else:
            out.append(v if isinstance(v, str) else str(v))
    return out


ORT_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(string)": object,
}


def onnxruntime_predict(onx, rows):
    """Feeds as the browser does: a single input takes df.values; else each column, shaped to the input's rank."""
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) == 1:
        feeds = {inputs[0].name: rows.to_numpy().astype(ORT_DTYPES[inputs[0].type])}
    else:
        feeds = {}
        for i in inputs:
            column = rows[i.name].to_numpy().astype(ORT_DTYPES[i.type])
            feeds[i.name] = column.reshape(-1, 1) if len(i.shape) == 2 else column
    names = [o.name for o in session.get_outputs()]
    return {n: jsonable(np.asarray(v).reshape(-1)) if not isinstance(v, list) else jsonable(v) for n, v in zip(names, session.run(names, feeds))}


results = []
with mlflow.start_run(run_name="zoo"):
    for name, make, df, y in cases:
        model, onx = make(df, y)
        rows = df.iloc[:ROWS].reset_index(drop=True)
        fixed_batch = name == "pipeline-fixed-batch-1"
        fitted_on_frame = name.startswith("pipeline-columns")
        signature = infer_signature(df, model.predict(df if fitted_on_frame else df.to_numpy()))
        registered = f"zoo-{name}"
        info = mlflow.onnx.log_model(
            onx,
            name=name,
            signature=signature,
            input_example=df.iloc[:1] if fixed_batch else df.iloc[:3],
            registered_model_name=registered,
            pip_requirements=["onnx", "onnxruntime"],
        )
        client.set_registered_model_alias(registered, "champion", info.registered_model_version)
        uri = f"models:/{registered}@champion"
        compared_with, why = "pyfunc", None
        try:
            pyfunc = mlflow.pyfunc.load_model(uri)
            if fixed_batch:
                frames = [pyfunc.predict(rows.iloc[[i]]) for i in range(len(rows))]
                predicted = pd.concat(frames, ignore_index=True)
            else:
                predicted = pyfunc.predict(rows)
            outputs = {c: jsonable(predicted[c].tolist()) for c in predicted.columns}
        except Exception as error:  # pyfunc cannot run this model: say so, and compare with onnxruntime
            compared_with, why = "onnxruntime", f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            outputs = onnxruntime_predict(onx, rows)
        results.append(
            {
                "name": name,
                "uri": uri,
                # Exact values (to_json would round them to 10 digits).
                "rows": [{k: v.item() if hasattr(v, "item") else v for k, v in r.items()} for r in rows.to_dict("records")],
                "one_row_per_call": fixed_batch,
                "compared_with": compared_with,
                "why": why,
                "outputs": outputs,
            }
        )

with open(out_path, "w") as f:
    json.dump(results, f)
print(json.dumps({"cases": len(results)}))
