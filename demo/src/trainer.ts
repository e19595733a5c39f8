/**
 * Page side of training: starts the run, hands the data to the training
 * worker, logs each epoch's metrics as they arrive, then logs artifacts and
 * the trained network as two MLflow models (ONNX and JavaScript code).
 */
import { codeModel } from './code-model.js';
import type { ModelSignature, Run, Tracker } from './edge.js';
import { records } from './iris.js';
import { onnxModel } from './onnx.js';
import {
  FEATURES,
  type Dataset,
  type EpochMetrics,
  type FromWorker,
  type Layer,
  type ToWorker,
  type TrainConfig,
} from './types.js';

export const MODEL_NAMES = { onnx: 'iris_onnx', code: 'iris_js' } as const;
/** Tag listing the models a run logged (`name=uri,…`), so the predict panel and run page can offer them. */
export const MODELS_TAG = 'demo.models';

/** The models named by a run's MODELS_TAG. */
export function modelsOf(runId: string, tag: string | undefined): { name: string; uri: string }[] {
  return (tag ?? '')
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [name = '', uri] = entry.split('=');
      return { name, uri: uri ?? `runs:/${runId}/${name}` };
    });
}

export interface TrainRequest {
  experimentName: string;
  runName?: string;
  parentRunId?: string;
  config: TrainConfig;
  logModels: boolean;
  onStart?(run: Run): void;
  onEpoch?(run: Run, metrics: EpochMetrics): void;
}

export interface TrainResult {
  runId: string;
  status: 'FINISHED' | 'KILLED';
  last?: EpochMetrics;
}

// In a variable, so the bundler does not inline the worker: demo/build/train.js.
const TRAIN_WORKER = './train.js';

export class Trainer {
  private worker: Worker | undefined;

  constructor(
    private readonly tracker: Tracker,
    private readonly data: Dataset,
  ) {}

  stop(): void {
    this.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  async train(request: TrainRequest): Promise<TrainResult> {
    const { config } = request;
    const run = await this.tracker.startRun({
      experimentName: request.experimentName,
      ...(request.runName ? { runName: request.runName } : {}),
      ...(request.parentRunId ? { parentRunId: request.parentRunId } : {}),
      tags: { model_type: config.hidden > 0 ? 'mlp' : 'softmax_regression', dataset: 'iris', trainer: 'web-worker' },
    });
    request.onStart?.(run);
    try {
      run.logParams({
        hidden: config.hidden,
        learning_rate: config.learningRate,
        epochs: config.epochs,
        optimizer: config.optimizer,
        l2: config.l2,
        seed: config.seed,
        validation_split: config.validationSplit,
        n_samples: this.data.rows,
        features: FEATURES.join(','),
      });
      let last: EpochMetrics | undefined;
      const done = await this.runWorker(config, (m) => {
        last = m;
        const { loss, accuracy, val_loss, val_accuracy } = m;
        run.logMetrics({ loss, accuracy, val_loss, val_accuracy }, { step: m.epoch });
        request.onEpoch?.(run, m);
      });
      run.logParams({ train_rows: done.trainRows, validation_rows: done.validationRows });
      await this.logArtifacts(run, done.layers, done.confusion, config);
      if (request.logModels) await this.logModels(run, done.layers);
      const status = done.stopped ? 'KILLED' : 'FINISHED';
      await run.end({ status });
      return { runId: run.runId, status, ...(last ? { last } : {}) };
    } catch (error) {
      await run.end({ status: 'FAILED' }).catch(() => undefined);
      throw error;
    }
  }

  private runWorker(
    config: TrainConfig,
    onEpoch: (m: EpochMetrics) => void,
  ): Promise<Extract<FromWorker, { type: 'done' }>> {
    this.worker ??= new Worker(new URL(TRAIN_WORKER, import.meta.url), { type: 'module', name: 'iris-trainer' });
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const m = event.data;
        if (m.type === 'epoch') {
          try {
            onEpoch(m);
          } catch (error) {
            this.stop();
            reject(error);
          }
        } else if (m.type === 'done') resolve(m);
        else reject(new Error(`training failed: ${m.message}`));
      };
      worker.onerror = (event) => reject(new Error(`training worker: ${event.message}`));
      worker.postMessage({ type: 'train', config, data: this.data } satisfies ToWorker);
    });
  }

  private async logArtifacts(run: Run, layers: Layer[], confusion: number[][], config: TrainConfig): Promise<void> {
    await run.logArtifact(
      'weights.json',
      JSON.stringify({ features: FEATURES, classes: this.data.classes, layers }, null, 2),
    );
    await run.logArtifact(
      'confusion_matrix.json',
      JSON.stringify(
        { classes: this.data.classes, rows: 'true class', columns: 'predicted class', matrix: confusion },
        null,
        2,
      ),
    );
    const png = await confusionPng(confusion, this.data.classes);
    if (png) await run.logArtifact('confusion_matrix.png', png);
    const total = confusion.flat().reduce((a, b) => a + b, 0);
    const right = confusion.reduce((s, row, i) => s + (row[i] ?? 0), 0);
    await run.logArtifact(
      'README.txt',
      `Iris classifier trained in the browser by the mlflow-edge demo.\n` +
        `Network: ${layers.map((l) => `${l.inputs}→${l.outputs}`).join(', ')} (${config.hidden > 0 ? 'ReLU MLP' : 'softmax regression'}), ${config.optimizer}, learning rate ${config.learningRate}, ${config.epochs} epochs.\n` +
        `Validation: ${right} of ${total} right.\n`,
    );
  }

  /** The trained network as ONNX (a graph over the weights) and as a JavaScript code model, each with a signature and an input example. */
  async logModels(run: Run, layers: Layer[]): Promise<void> {
    const inputs = {
      kind: 'columns' as const,
      columns: FEATURES.map((name) => ({ name, type: 'double' as const, required: true })),
    };
    const example = records(this.data, 3, 0);
    const classes = this.data.classes.length;
    const onnxSignature: ModelSignature = {
      inputs,
      outputs: {
        kind: 'tensors',
        tensors: [
          { name: 'label', type: 'int64', shape: [-1] },
          { name: 'probabilities', type: 'float32', shape: [-1, classes] },
        ],
      },
      params: null,
    };
    const metadata = { classes: this.data.classes, trained_by: 'mlflow-edge demo' };
    const onnx = await run.logModel(
      MODEL_NAMES.onnx,
      { onnx: onnxModel(layers, { docString: `Iris classifier from run ${run.runId}` }) },
      { signature: onnxSignature, inputExample: example, metadata },
    );
    const codeSignature: ModelSignature = {
      inputs,
      outputs: {
        kind: 'columns',
        columns: [
          { name: 'species', type: 'string', required: true },
          { name: 'label', type: 'long', required: true },
          { name: 'probabilities', type: { type: 'array', items: 'double' }, required: true },
        ],
      },
      params: null,
    };
    const code = codeModel(layers, FEATURES, this.data.classes, `run ${run.runId}`);
    const js = await run.logModel(
      MODEL_NAMES.code,
      { code },
      { signature: codeSignature, inputExample: example, metadata },
    );
    run.setTag(MODELS_TAG, `${MODEL_NAMES.onnx}=${onnx.modelUri},${MODEL_NAMES.code}=${js.modelUri}`);
  }
}

/** A small heat map of the confusion matrix, as PNG bytes. */
async function confusionPng(matrix: number[][], classes: string[]): Promise<Blob | undefined> {
  const cell = 70;
  const pad = 90;
  const canvas = document.createElement('canvas');
  canvas.width = pad + cell * classes.length + 10;
  canvas.height = pad + cell * classes.length + 10;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return undefined;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const max = Math.max(1, ...matrix.flat());
  ctx.font = '13px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  matrix.forEach((row, i) =>
    row.forEach((n, j) => {
      const t = n / max;
      ctx.fillStyle = `rgb(${Math.round(255 - 254 * t)}, ${Math.round(255 - 107 * t)}, ${Math.round(255 - 29 * t)})`;
      ctx.fillRect(pad + j * cell, pad + i * cell, cell - 2, cell - 2);
      ctx.fillStyle = t > 0.5 ? '#fff' : '#000';
      ctx.fillText(String(n), pad + j * cell + cell / 2, pad + i * cell + cell / 2);
    }),
  );
  ctx.fillStyle = '#000';
  classes.forEach((c, k) => {
    ctx.fillText(c, pad + k * cell + cell / 2, pad - 14);
    ctx.textAlign = 'right';
    ctx.fillText(c, pad - 8, pad + k * cell + cell / 2);
    ctx.textAlign = 'center';
  });
  ctx.fillText('predicted →', pad + (cell * classes.length) / 2, 18);
  ctx.fillText('true ↓', 40, pad - 14);
  return new Promise((resolve) => canvas.toBlob((b) => resolve(b ?? undefined), 'image/png'));
}
