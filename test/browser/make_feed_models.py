"""ONNX graphs for the input-feeding tests, built at test time with onnx.helper.

- `columns`: one input per column, of four element types and two ranks:
  s tensor(string) [N, 1], d tensor(double) [N, 1], i tensor(int64) [N],
  b tensor(bool) [N, 1]; outputs s_out (Identity), d_out (d * 2), i_out (i + 1),
  b_out (Not b). Its signature is MLflow's, inferred from a pandas DataFrame.
- `fixed`: one input X tensor(float) [1, 3] (a fixed batch of one); output
  total = ReduceSum(X, axis 1) of shape [1, 1].
- `small`: one input X tensor(int8) [N, 2]; output y = Cast(X, float).

Prints one JSON object: name -> {onnx: base64, signature: {inputs, outputs} | null}.
"""
import base64
import json

import numpy as np
import onnx
import pandas as pd
from onnx import TensorProto, helper

from mlflow.models import infer_signature


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return base64.b64encode(m.SerializeToString()).decode()


def io(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


columns = model(
    [
        helper.make_node("Identity", ["s"], ["s_out"]),
        helper.make_node("Mul", ["d", "two"], ["d_out"]),
        helper.make_node("Add", ["i", "one"], ["i_out"]),
        helper.make_node("Not", ["b"], ["b_out"]),
    ],
    [
        io("s", TensorProto.STRING, ["N", 1]),
        io("d", TensorProto.DOUBLE, ["N", 1]),
        io("i", TensorProto.INT64, ["N"]),
        io("b", TensorProto.BOOL, ["N", 1]),
    ],
    [
        io("s_out", TensorProto.STRING, ["N", 1]),
        io("d_out", TensorProto.DOUBLE, ["N", 1]),
        io("i_out", TensorProto.INT64, ["N"]),
        io("b_out", TensorProto.BOOL, ["N", 1]),
    ],
    [
        helper.make_tensor("two", TensorProto.DOUBLE, [], [2.0]),
        helper.make_tensor("one", TensorProto.INT64, [], [1]),
    ],
)
frame = pd.DataFrame({"s": ["a", "b"], "d": [1.5, 2.5], "i": [1, 2], "b": [True, False]})
sig = infer_signature(frame)
columns_sig = {"inputs": sig.inputs.to_json(), "outputs": None}

fixed = model(
    [helper.make_node("ReduceSum", ["X", "axes"], ["total"], keepdims=1)],
    [io("X", TensorProto.FLOAT, [1, 3])],
    [io("total", TensorProto.FLOAT, [1, 1])],
    [helper.make_tensor("axes", TensorProto.INT64, [1], [1])],
)
fixed_sig = infer_signature(pd.DataFrame({"a": np.float32([1]), "b": np.float32([2]), "c": np.float32([3])}))

small = model(
    [helper.make_node("Cast", ["X"], ["y"], to=TensorProto.FLOAT)],
    [io("X", TensorProto.INT8, ["N", 2])],
    [io("y", TensorProto.FLOAT, ["N", 2])],
)

print(
    json.dumps(
        {
            "columns": {"onnx": columns, "signature": columns_sig},
            "fixed": {"onnx": fixed, "signature": {"inputs": fixed_sig.inputs.to_json(), "outputs": None}},
            "small": {"onnx": small, "signature": None},
        }
    )
)
