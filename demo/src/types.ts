/** What the page and the training worker say to each other (plain data only). */

export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
export type Feature = (typeof FEATURES)[number];

export interface Dataset {
  /** Row-major, rows × FEATURES.length, in centimetres. */
  x: Float64Array;
  /** Class index per row, into `classes`. */
  y: Int32Array;
  classes: string[];
  rows: number;
}

export interface TrainConfig {
  /** Hidden units; 0 trains a softmax (multinomial logistic) regression. */
  hidden: number;
  learningRate: number;
  epochs: number;
  optimizer: 'sgd' | 'adam';
  /** L2 penalty on the weights. */
  l2: number;
  seed: number;
  /** Share of rows held out for validation. */
  validationSplit: number;
  /** Pause after each epoch, so the chart can be watched live. */
  delayMs: number;
}

/** One dense layer, out = in · w + b, with w row-major (inputs × outputs). */
export interface Layer {
  inputs: number;
  outputs: number;
  w: number[];
  b: number[];
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
}

export type ToWorker = { type: 'train'; config: TrainConfig; data: Dataset } | { type: 'stop' };

export type FromWorker =
  | ({ type: 'epoch' } & EpochMetrics)
  | {
      type: 'done';
      stopped: boolean;
      /** Layers taking raw features (the standardization is folded into the first). */
      layers: Layer[];
      /** confusion[true][predicted] on the validation rows. */
      confusion: number[][];
      trainRows: number;
      validationRows: number;
    }
  | { type: 'error'; message: string };
