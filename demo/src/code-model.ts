/**
 * The same network as a JavaScript "model from code": an ES module, weights
 * inlined, that calls setModel from 'mlflow-edge/model'. It reads records
 * (the signature's columns), and returns one record per row.
 */
import type { Layer } from './types.js';

export function codeModel(
  layers: Layer[],
  features: readonly string[],
  classes: readonly string[],
  note: string,
): string {
  const round = (v: number) => Number(v.toPrecision(9));
  const weights = layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, w: l.w.map(round), b: l.b.map(round) }));
  return `// ${note}
// An iris classifier exported by the mlflow-edge demo workbench. Loaded by
// tracker.loadModel(uri, { allowCode: true }); the input is checked against
// the model's signature before predict() sees it.
import { setModel } from 'mlflow-edge/model';

const FEATURES = ${JSON.stringify(features)};
const CLASSES = ${JSON.stringify(classes)};
const LAYERS = ${JSON.stringify(weights)};

function forward(x) {
  let h = x;
  LAYERS.forEach((layer, l) => {
    const out = layer.b.map((b, k) => h.reduce((s, v, j) => s + v * layer.w[j * layer.outputs + k], b));
    h = l < LAYERS.length - 1 ? out.map((v) => Math.max(0, v)) : out;
  });
  return h;
}

function softmax(z) {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

setModel({
  predict(context, rows) {
    return rows.map((row) => {
      const probabilities = softmax(forward(FEATURES.map((f) => row[f])));
      const label = probabilities.indexOf(Math.max(...probabilities));
      return { species: CLASSES[label], label, probabilities };
    });
  },
});
`;
}
