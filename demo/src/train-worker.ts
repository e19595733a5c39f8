/**
 * The training worker: a small MLP (or, with no hidden layer, a softmax
 * regression) trained by full-batch gradient descent on the rows it is sent.
 * It reports every epoch's metrics; the page logs them, so the tracker sees
 * the same calls a user's own training loop would make.
 */
import type { Dataset, EpochMetrics, FromWorker, Layer, ToWorker, TrainConfig } from './types.js';

const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};
let stopRequested = false;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') stopRequested = true;
  else {
    stopRequested = false;
    train(message.config, message.data).catch((error: unknown) =>
      scope.postMessage({ type: 'error', message: String((error as Error)?.message ?? error) }),
    );
  }
};

/** mulberry32: a small seeded generator, so a run can be repeated from its params. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Split {
  x: Float64Array;
  y: Int32Array;
  rows: number;
}

async function train(config: TrainConfig, data: Dataset): Promise<void> {
  const features = data.x.length / data.rows;
  const classes = data.classes.length;
  const rand = random(config.seed);
  // A seeded shuffle, then the first rows are held out for validation.
  const order = Array.from({ length: data.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const held = Math.round(data.rows * Math.min(0.9, Math.max(0, config.validationSplit)));
  const pick = (rows: number[]): Split => {
    const x = new Float64Array(rows.length * features);
    const y = new Int32Array(rows.length);
    rows.forEach((r, i) => {
      x.set(data.x.subarray(r * features, (r + 1) * features), i * features);
      y[i] = data.y[r]!;
    });
    return { x, y, rows: rows.length };
  };
  const validation = pick(order.slice(0, held));
  const training = pick(order.slice(held));

  // Standardize with the training rows' mean and deviation; folded into the first layer at the end.
  const mean = new Float64Array(features);
  const std = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    let s = 0;
    for (let i = 0; i < training.rows; i++) s += training.x[i * features + j]!;
    mean[j] = s / training.rows;
    let v = 0;
    for (let i = 0; i < training.rows; i++) v += (training.x[i * features + j]! - mean[j]!) ** 2;
    std[j] = Math.sqrt(v / training.rows) || 1;
  }
  const standardize = (split: Split): Split => ({
    ...split,
    x: split.x.map((v, k) => (v - mean[k % features]!) / std[k % features]!),
  });
  const train = standardize(training);
  const val = standardize(validation);

  const sizes = config.hidden > 0 ? [features, config.hidden, classes] : [features, classes];
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    // He initialization: uniform with variance 2 / inputs.
    const limit = Math.sqrt(6 / inputs);
    const w = Array.from({ length: inputs * outputs }, () => (rand() * 2 - 1) * limit);
    layers.push({ inputs, outputs, w, b: new Array<number>(outputs).fill(0) });
  }
  const adam = layers.map((layer) => ({
    mw: layer.w.map(() => 0),
    vw: layer.w.map(() => 0),
    mb: layer.b.map(() => 0),
    vb: layer.b.map(() => 0),
  }));

  let epoch = 0;
  for (; epoch < config.epochs && !stopRequested; epoch++) {
    const { loss, accuracy, grads } = pass(layers, train, classes, config.l2, true);
    step(layers, grads!, adam, config, epoch + 1);
    const v = pass(layers, val, classes, config.l2, false);
    const metrics: EpochMetrics = { epoch, loss, accuracy, val_loss: v.loss, val_accuracy: v.accuracy };
    scope.postMessage({ type: 'epoch', ...metrics });
    // Yield every epoch when slowed down, else every 20 epochs, so a stop message gets through.
    if (config.delayMs > 0) await sleep(config.delayMs);
    else if (epoch % 20 === 19) await sleep(0);
  }

  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const evalSet = val.rows > 0 ? val : train;
  const { predictions } = pass(layers, evalSet, classes, 0, false);
  predictions.forEach((p, i) => confusion[evalSet.y[i]!]![p]!++);

  // Fold the standardization into the first layer: ((x - m) / s) · W + b = x · (W / s) + (b - (m / s) · W).
  const first = layers[0]!;
  const folded: Layer = { ...first, w: [...first.w], b: [...first.b] };
  for (let j = 0; j < first.inputs; j++) {
    for (let k = 0; k < first.outputs; k++) {
      const w = first.w[j * first.outputs + k]! / std[j]!;
      folded.w[j * first.outputs + k] = w;
      folded.b[k]! -= mean[j]! * w;
    }
  }
  scope.postMessage({
    type: 'done',
    stopped: epoch < config.epochs,
    layers: [folded, ...layers.slice(1)],
    confusion,
    trainRows: train.rows,
    validationRows: val.rows,
  });
}

interface Grads {
  w: number[][];
  b: number[][];
}

/** Forward (and, when asked, backward) pass over a whole split: mean cross-entropy + L2. */
function pass(layers: Layer[], split: Split, classes: number, l2: number, backward: boolean) {
  const n = split.rows;
  const acts: Float64Array[] = [split.x];
  for (const [l, layer] of layers.entries()) {
    const input = acts[l]!;
    const out = new Float64Array(n * layer.outputs);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < layer.outputs; k++) {
        let s = layer.b[k]!;
        for (let j = 0; j < layer.inputs; j++) s += input[i * layer.inputs + j]! * layer.w[j * layer.outputs + k]!;
        out[i * layer.outputs + k] = l < layers.length - 1 ? Math.max(0, s) : s;
      }
    }
    acts.push(out);
  }
  const logits = acts[acts.length - 1]!;
  const delta = new Float64Array(n * classes);
  let loss = 0;
  let correct = 0;
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    let arg = 0;
    for (let k = 0; k < classes; k++) {
      const z = logits[i * classes + k]!;
      if (z > max) [max, arg] = [z, k];
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[i * classes + k]! - max);
    const label = split.y[i]!;
    loss -= logits[i * classes + label]! - max - Math.log(sum);
    predictions.push(arg);
    if (arg === label) correct++;
    for (let k = 0; k < classes; k++)
      delta[i * classes + k] = (Math.exp(logits[i * classes + k]! - max) / sum - (k === label ? 1 : 0)) / n;
  }
  let penalty = 0;
  for (const layer of layers) for (const w of layer.w) penalty += w * w;
  const result = {
    loss: n > 0 ? loss / n + (l2 / 2) * penalty : NaN,
    accuracy: n > 0 ? correct / n : NaN,
    predictions,
    grads: undefined as Grads | undefined,
  };
  if (!backward) return result;

  const grads: Grads = { w: [], b: [] };
  let d = delta;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const input = acts[l]!;
    const gw = new Array<number>(layer.w.length).fill(0);
    const gb = new Array<number>(layer.outputs).fill(0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < layer.outputs; k++) {
        const dk = d[i * layer.outputs + k]!;
        if (dk === 0) continue;
        gb[k]! += dk;
        for (let j = 0; j < layer.inputs; j++) gw[j * layer.outputs + k]! += input[i * layer.inputs + j]! * dk;
      }
    }
    for (let j = 0; j < gw.length; j++) gw[j]! += l2 * layer.w[j]!;
    grads.w[l] = gw;
    grads.b[l] = gb;
    if (l > 0) {
      // Back through this layer's weights, then the previous layer's ReLU.
      const prev = new Float64Array(n * layer.inputs);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < layer.inputs; j++) {
          if (input[i * layer.inputs + j]! <= 0) continue;
          let s = 0;
          for (let k = 0; k < layer.outputs; k++) s += d[i * layer.outputs + k]! * layer.w[j * layer.outputs + k]!;
          prev[i * layer.inputs + j] = s;
        }
      }
      d = prev;
    }
  }
  result.grads = grads;
  return result;
}

type AdamState = { mw: number[]; vw: number[]; mb: number[]; vb: number[] };

function step(layers: Layer[], grads: Grads, adam: AdamState[], config: TrainConfig, t: number): void {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  layers.forEach((layer, l) => {
    const update = (params: number[], g: number[], m: number[], v: number[]) => {
      for (let j = 0; j < params.length; j++) {
        if (config.optimizer === 'sgd') params[j]! -= config.learningRate * g[j]!;
        else {
          m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
          v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
          params[j]! -= (config.learningRate * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps);
        }
      }
    };
    const s = adam[l]!;
    update(layer.w, grads.w[l]!, s.mw, s.vw);
    update(layer.b, grads.b[l]!, s.mb, s.vb);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
