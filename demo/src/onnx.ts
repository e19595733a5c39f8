/**
 * Builds an ONNX ModelProto for the trained network: a hand-written
 * protobuf encoder for the handful of messages needed (onnx.proto3 field
 * numbers), no dependency. The graph takes raw features and gives both the
 * class probabilities and the predicted class:
 *
 *   input [batch, 4] → (MatMul → Add → Relu)* → MatMul → Add = logits
 *   probabilities = Softmax(logits, axis 1); label = ArgMax(logits, axis 1) (int64)
 *
 * IR version 8, opset 13: what onnxruntime-web and MLflow's onnx flavor load.
 */
import type { Layer } from './types.js';

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;

/** Protobuf wire format: varints, and length-delimited fields for strings, bytes and messages. */
class Writer {
  private readonly parts: number[] = [];

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint ${value}`);
    while (value >= 0x80) {
      this.parts.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.parts.push(value);
  }

  private key(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    for (const b of value) this.parts.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

type Dim = number | string;

/** ValueInfoProto { name = 1; type = 2 } with TypeProto.tensor_type { elem_type = 1; shape = 2 }. */
function valueInfo(w: Writer, field: number, name: string, elemType: number, dims: Dim[]): void {
  w.message(field, (v) =>
    v.string(1, name).message(2, (type) =>
      type.message(1, (tensor) =>
        tensor.int(1, elemType).message(2, (shape) => {
          // TensorShapeProto.dim: { dim_value = 1 | dim_param = 2 }
          for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }),
      ),
    ),
  );
}

/** TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 } of float32 values, little-endian. */
function initializer(w: Writer, name: string, dims: number[], values: number[]): void {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  w.message(5, (t) => {
    for (const d of dims) t.int(1, d);
    t.int(2, FLOAT).string(8, name).bytes(9, raw);
  });
}

/** NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 } with int attributes. */
function node(w: Writer, op: string, inputs: string[], output: string, attributes: Record<string, number> = {}): void {
  w.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    n.string(2, output).string(3, `${op}_${output}`).string(4, op);
    // AttributeProto { name = 1; i = 3; type = 20 }
    for (const [name, value] of Object.entries(attributes))
      n.message(5, (a) => a.string(1, name).int(3, value).int(20, ATTRIBUTE_INT));
  });
}

export function onnxModel(layers: Layer[], options: { docString?: string } = {}): Uint8Array {
  const features = layers[0]!.inputs;
  const classes = layers[layers.length - 1]!.outputs;
  const model = new Writer();
  model.int(1, 8); // ir_version
  model.string(2, 'mlflow-edge-demo').string(3, '0.1.0'); // producer_name, producer_version
  if (options.docString !== undefined) model.string(6, options.docString);
  model.message(7, (graph) => {
    let current = 'input';
    layers.forEach((layer, l) => {
      const last = l === layers.length - 1;
      node(graph, 'MatMul', [current, `W${l}`], `matmul${l}`);
      node(graph, 'Add', [`matmul${l}`, `B${l}`], last ? 'logits' : `dense${l}`);
      if (!last) node(graph, 'Relu', [`dense${l}`], `relu${l}`);
      current = `relu${l}`;
    });
    node(graph, 'Softmax', ['logits'], 'probabilities', { axis: 1 });
    node(graph, 'ArgMax', ['logits'], 'label', { axis: 1, keepdims: 0 });
    graph.string(2, 'iris_classifier');
    layers.forEach((layer, l) => {
      initializer(graph, `W${l}`, [layer.inputs, layer.outputs], layer.w);
      initializer(graph, `B${l}`, [layer.outputs], layer.b);
    });
    valueInfo(graph, 11, 'input', FLOAT, ['batch', features]);
    valueInfo(graph, 12, 'label', INT64, ['batch']);
    valueInfo(graph, 12, 'probabilities', FLOAT, ['batch', classes]);
  });
  model.message(8, (opset) => opset.string(1, '').int(2, 13)); // opset_import { domain = 1; version = 2 }
  return model.finish();
}
