/**
 * The files of a model directory logged from the browser, as MLflow lays
 * them out: MLmodel (with MLflow's key order and signature encoding), the
 * model file, input_example.json and serving_input_example.json, and for
 * ONNX what MLflow Python needs to load it (conda.yaml, python_env.yaml,
 * requirements.txt).
 */
import { sha256Hex } from '../schema/digest.js';
import { invalidParameter } from '../schema/errors.js';
import { inferSignature, signatureToMlmodel, type ModelSignature } from '../schema/signature.js';
import { modelPathProblem } from '../schema/validation.js';
import { FLAVOR_JS, type LoggedModelInfo, type LogModelOptions, type ModelSpec } from '../protocol.js';
import { onnxMLmodel, stringifyMLmodel, utcTimeCreated, type MLmodel } from './mlmodel.js';
import { parseModelUri } from './model-uri.js';

/** The versions this library writes into MLmodel files and checks in its interop tests. */
export const WRITES_FOR = { mlflow: '3.17.2', python: '3.11.7', onnx: '1.23.2', onnxruntime: '1.31.1' } as const;

/** A new logged model id, in MLflow's form. */
export function newModelId(): string {
  return `m-${crypto.randomUUID().replaceAll('-', '')}`;
}

export async function modelDirectory(
  runId: string,
  modelId: string,
  name: string,
  spec: ModelSpec,
  options: LogModelOptions,
  now: Date,
): Promise<{ files: Record<string, Blob>; info: LoggedModelInfo }> {
  const files: Record<string, Blob> = {};
  const example = options.inputExample === undefined ? undefined : inputExample(options.inputExample);
  let signature = options.signature;
  let mlmodel: MLmodel;
  if ('onnx' in spec) {
    const bytes = spec.onnx instanceof ArrayBuffer ? new Uint8Array(spec.onnx) : spec.onnx;
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0)
      throw invalidParameter('Pass the ONNX model as bytes: { onnx: Uint8Array | ArrayBuffer }.', { field: 'onnx' });
    const built = onnxMLmodel({
      runId,
      modelId,
      artifactPath: name,
      onnxVersion: WRITES_FOR.onnx,
      mlflowVersion: WRITES_FOR.mlflow,
      pythonVersion: WRITES_FOR.python,
      onnxruntimeVersion: WRITES_FOR.onnxruntime,
      ...(signature ? { signature: mlmodelSignature(signature) } : {}),
      ...(example ? { savedInputExampleInfo: example.info } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      now,
    });
    mlmodel = built.mlmodel;
    for (const [file, text] of Object.entries(built.files)) files[file] = new Blob([text]);
    files['model.onnx'] = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  } else if ('code' in spec) {
    if (typeof spec.code !== 'string' || spec.code.trim() === '')
      throw invalidParameter('Pass the model code as source text or a URL: { code }.', { field: 'code' });
    const source = /^(https?:|blob:|data:)/.test(spec.code) ? await fetchText(spec.code) : spec.code;
    const code = new TextEncoder().encode(source);
    const digest = sha256Hex(code);
    const artifacts: Record<string, string> = {};
    for (const [key, data] of Object.entries(spec.artifacts ?? {})) {
      const path = `artifacts/${key}`;
      // The name becomes a path in the model directory, here and on the server.
      const problem =
        key === ''
          ? 'is empty.'
          : (modelPathProblem(key) ??
            (key.includes('#') ? "contains '#', which MLflow refuses in artifact paths. Remove it." : undefined));
      if (problem !== undefined)
        throw invalidParameter(`Invalid artifact name ${JSON.stringify(key)} for the code model: it ${problem}`, {
          field: 'artifacts',
          key,
        });
      artifacts[key] = path;
      files[path] = data instanceof Blob ? data : new Blob([data as BlobPart]);
    }
    for (const uri of Object.values(spec.models ?? {})) parseModelUri(uri);
    if (signature === undefined && options.inputExample !== undefined) signature = inferSignature(options.inputExample);
    mlmodel = {
      flavors: {
        [FLAVOR_JS]: {
          code: 'model.js',
          sha256: digest,
          ...(spec.artifacts ? { artifacts } : {}),
          ...(spec.models ? { models: spec.models } : {}),
        },
      },
      artifactPath: name,
      runId,
      modelUuid: modelId,
      modelId,
      utcTimeCreated: utcTimeCreated(now),
      mlflowVersion: WRITES_FOR.mlflow,
      extra: {},
    };
    if (signature) mlmodel.signature = mlmodelSignature(signature);
    if (example) mlmodel.savedInputExampleInfo = example.info;
    if (options.metadata) mlmodel.metadata = options.metadata;
    files['model.js'] = new Blob([code]);
  } else {
    throw invalidParameter('Pass the model as { onnx: bytes } or { code: source text or URL }.', { field: 'model' });
  }
  if (example) {
    files['input_example.json'] = new Blob([example.file]);
    files['serving_input_example.json'] = new Blob([example.serving]);
  }
  files.MLmodel = new Blob([stringifyMLmodel(mlmodel)]);
  return {
    files,
    info: {
      modelUri: `models:/${modelId}`,
      modelId,
      name,
      artifactPath: name,
      runId,
      modelUuid: String(mlmodel.modelUuid),
      flavors: Object.keys(mlmodel.flavors),
    },
  };
}

function mlmodelSignature(signature: NonNullable<LogModelOptions['signature']>): NonNullable<MLmodel['signature']> {
  if (typeof signature.inputs === 'string' || signature.inputs === null)
    return signature as NonNullable<MLmodel['signature']>;
  return signatureToMlmodel(signature as ModelSignature);
}

/** MLflow's input example files: ndarray as nested lists, records/columns as a split dataframe, anything else as JSON. */
function inputExample(value: unknown): { info: Record<string, unknown>; file: string; serving: string } {
  const info = { artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json' };
  const nested = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v);
  if (
    ArrayBuffer.isView(value) ||
    (Array.isArray(value) && value.every((row) => Array.isArray(row) || ArrayBuffer.isView(row)))
  ) {
    const data = Array.isArray(value) ? value.map(nested) : nested(value);
    return {
      info: { ...info, type: 'ndarray' },
      file: JSON.stringify(data),
      serving: JSON.stringify({ inputs: data }, null, 2),
    };
  }
  if (Array.isArray(value) && value.every((row) => row !== null && typeof row === 'object')) {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row as object)))];
    const split = {
      columns,
      data: value.map((row) => columns.map((c) => (row as Record<string, unknown>)[c] ?? null)),
    };
    return {
      info: { ...info, type: 'dataframe', pandas_orient: 'split' },
      file: JSON.stringify(split),
      serving: JSON.stringify({ dataframe_split: split }, null, 2),
    };
  }
  return {
    info: { ...info, type: 'json_object' },
    file: JSON.stringify(value),
    serving: JSON.stringify({ inputs: value }, null, 2),
  };
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url).catch((error: Error) => {
    throw invalidParameter(`Could not fetch the model code from ${url}: ${error.message}.`, { field: 'code' });
  });
  if (!response.ok)
    throw invalidParameter(`Could not fetch the model code from ${url}: HTTP ${response.status}.`, { field: 'code' });
  return response.text();
}
