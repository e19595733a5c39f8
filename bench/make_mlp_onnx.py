"""Builds bench/results/mlp-onnx: an MLflow ONNX model of a 784-256-10 MLP
(random, seeded weights; 0.8 MB), with a float32 [-1, 784] tensor signature."""
import pathlib
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import mlflow.onnx
from mlflow.models import ModelSignature
from mlflow.types.schema import Schema, TensorSpec

out = pathlib.Path(__file__).parent / "results" / "mlp-onnx"
shutil.rmtree(out, ignore_errors=True)
rng = np.random.default_rng(7)
w1 = numpy_helper.from_array(rng.standard_normal((784, 256), dtype=np.float32) * 0.05, "w1")
b1 = numpy_helper.from_array(np.zeros(256, dtype=np.float32), "b1")
w2 = numpy_helper.from_array(rng.standard_normal((256, 10), dtype=np.float32) * 0.05, "w2")
b2 = numpy_helper.from_array(np.zeros(10, dtype=np.float32), "b2")
graph = helper.make_graph(
    [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"]),
    ],
    "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 784])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
    [w1, b1, w2, b2],
)
# IR 10: onnx 1.23 writes 14 by default, newer than onnxruntime-web 1.30 reads (13).
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
signature = ModelSignature(
    inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 784), "x")]),
    outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 10), "logits")]),
)
mlflow.onnx.save_model(model, str(out), signature=signature, save_as_external_data=False)
print("wrote", out)
