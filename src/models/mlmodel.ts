/**
 * The `MLmodel` file of an MLflow model directory: read it, write it
 * byte-for-byte as MLflow 3.x does, and build the MLmodel of an ONNX model
 * logged from the browser.
 *
 * MLflow writes MLmodel with `yaml.safe_dump(model.to_dict(),
 * default_flow_style=False)` (PyYAML: keys sorted, block style, width 80, no
 * `allow_unicode`). The `yaml` package's own stringifier folds long scalars
 * differently (it breaks before the width, PyYAML breaks at the first space
 * after it) and has no notion of YAML 1.1's implicit types, so writing goes
 * through pyyaml/dump.ts, which follows PyYAML's rules; reading goes through
 * pyyaml/load.ts, so values come out as Python's `yaml.safe_load` sees them.
 *
 * Python distinguishes `1.0` from `1`; JavaScript does not. Integral floats
 * (and integers beyond 2^53) read from a file are remembered per container
 * and key, so they are written back the same way; a number you set yourself
 * is written as an int when it is a safe integer and as a float otherwise.
 */
import { FLAVOR_JS } from '../protocol.js';
import { toHex } from '../schema/digest.js';
import { invalidParameter } from '../schema/errors.js';
import { hasOwn, isPlainObject } from '../schema/predicates.js';
import { numberKinds } from '../schema/python.js';
import { copyKeyMeta, keyOrders, orderedKeys, pyKeys, setKey } from '../schema/pyyaml/meta.js';
import { describeValue, safeLoadYaml } from '../schema/pyyaml/load.js';
import { yamlFloat, safeDumpYaml } from '../schema/pyyaml/dump.js';

export { safeDumpYaml, safeLoadYaml };

export interface MLmodel {
  flavors: Record<string, Record<string, unknown>>;
  artifactPath?: string;
  runId?: string;
  modelUuid?: string | null;
  modelId?: string | null;
  utcTimeCreated: string;
  mlflowVersion?: string | null;
  /** Kept as MLflow's JSON strings; parsed elsewhere. */
  signature?: { inputs: string | null; outputs: string | null; params?: string | null };
  savedInputExampleInfo?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  modelSizeBytes?: number;
  /** Every other top-level key, kept verbatim so a file round-trips. */
  extra: Record<string, unknown>;
}

export const FLAVOR_ONNX = 'onnx';
export const FLAVOR_PYFUNC = 'python_function';

const MLMODEL_HINT =
  'A valid MLmodel is a YAML map with a `flavors` map from flavor name (e.g. python_function, onnx) ' +
  "to that flavor's settings, plus fields such as utc_time_created and mlflow_version.";

/** Parses an MLmodel file (YAML) into an {@link MLmodel}. */
export function parseMLmodel(text: string): MLmodel {
  let top: unknown;
  try {
    top = safeLoadYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw invalidParameter(
      `MLmodel could not be read as YAML: ${message.replace(/^Invalid YAML: /, '')}\n${MLMODEL_HINT}`,
      {
        reason: 'yaml',
      },
    );
  }
  if (!isPlainObject(top)) {
    throw invalidParameter(
      `MLmodel must be a YAML map of fields, but the document is ${describeValue(top)}. ${MLMODEL_HINT}`,
      {
        reason: 'not_a_map',
      },
    );
  }
  if (!hasOwn(top, 'flavors')) {
    throw invalidParameter(`MLmodel has no \`flavors\` field. ${MLMODEL_HINT}`, { reason: 'no_flavors' });
  }
  const flavors = top['flavors'];
  if (!isPlainObject(flavors)) {
    throw invalidParameter(`MLmodel \`flavors\` must be a map, but it is ${describeValue(flavors)}. ${MLMODEL_HINT}`, {
      reason: 'flavors_not_a_map',
    });
  }
  for (const name of Object.keys(flavors)) {
    if (!isPlainObject(flavors[name])) {
      throw invalidParameter(
        `MLmodel flavor '${name}' must be a map of its settings (e.g. loader_module, data), but it is ${describeValue(flavors[name])}. ${MLMODEL_HINT}`,
        { reason: 'flavor_not_a_map', flavor: name },
      );
    }
  }

  const extra: Record<string, unknown> = {};
  const model: MLmodel = {
    flavors: flavors as Record<string, Record<string, unknown>>,
    utcTimeCreated: '',
    extra,
  };
  const isStr = (v: unknown): v is string => typeof v === 'string';
  const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

  for (const key of orderedKeys(top)) {
    const value = top[key];
    const numberKind = numberKinds.get(top)?.get(key);
    const typed = !pyKeys.get(top)?.has(key);
    if (typed && key === 'flavors') continue;
    if (typed && key === 'utc_time_created' && isStr(value)) model.utcTimeCreated = value;
    else if (typed && key === 'artifact_path' && isStr(value)) model.artifactPath = value;
    else if (typed && key === 'run_id' && isStr(value)) model.runId = value;
    else if (typed && key === 'model_uuid' && isStrOrNull(value)) model.modelUuid = value;
    else if (typed && key === 'model_id' && isStrOrNull(value)) model.modelId = value;
    else if (typed && key === 'mlflow_version' && isStrOrNull(value)) model.mlflowVersion = value;
    else if (typed && key === 'signature' && isSignature(value)) model.signature = value;
    else if (typed && key === 'saved_input_example_info' && isPlainObject(value)) model.savedInputExampleInfo = value;
    else if (typed && key === 'metadata' && isPlainObject(value)) model.metadata = value;
    else if (typed && key === 'model_size_bytes' && Number.isSafeInteger(value) && numberKind === undefined) {
      model.modelSizeBytes = value as number;
    } else {
      setKey(extra, key, value);
      copyKeyMeta(top, extra, key);
    }
  }
  if (keyOrders.has(top))
    keyOrders.set(
      extra,
      orderedKeys(top).filter((key) => hasOwn(extra, key)),
    );
  if (!hasOwn(top, 'utc_time_created') || top['utc_time_created'] === null) {
    // Model.from_dict → Model(utc_time_created=None) stamps the current time.
    model.utcTimeCreated = utcTimeCreated(new Date());
    delete extra['utc_time_created'];
  } else if (!isStr(top['utc_time_created'])) {
    const value = top['utc_time_created'];
    if (typeof value === 'object') {
      throw invalidParameter(
        `MLmodel \`utc_time_created\` must be a time like '2025-11-20 10:11:12.123456', but it is ${describeValue(value)}.`,
        { reason: 'utc_time_created' },
      );
    }
    model.utcTimeCreated = scalarText(value);
    delete extra['utc_time_created'];
  }
  return model;
}

function scalarText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : yamlFloat(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

function isSignature(value: unknown): value is NonNullable<MLmodel['signature']> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (!keys.includes('inputs') || !keys.includes('outputs')) return false;
  return keys.every(
    (k) => (k === 'inputs' || k === 'outputs' || k === 'params') && (value[k] === null || typeof value[k] === 'string'),
  );
}

export function stringifyMLmodel(model: MLmodel): string {
  if (!isPlainObject(model.flavors)) {
    throw invalidParameter("MLmodel.flavors must be a map from flavor name to that flavor's settings.");
  }
  const dict: Record<string, unknown> = {};
  const extra = isPlainObject(model.extra) ? model.extra : {};
  for (const key of orderedKeys(extra)) {
    setKey(dict, key, extra[key]);
    copyKeyMeta(extra, dict, key);
  }
  if (keyOrders.has(extra)) keyOrders.set(dict, orderedKeys(extra));
  const put = (key: string, value: unknown) => {
    setKey(dict, key, value);
    numberKinds.get(dict)?.delete(key);
    pyKeys.get(dict)?.delete(key);
  };
  put('flavors', model.flavors);
  if (model.artifactPath !== undefined) put('artifact_path', model.artifactPath);
  if (model.runId !== undefined) put('run_id', model.runId);
  if (model.modelUuid !== undefined) put('model_uuid', model.modelUuid);
  if (model.modelId !== undefined) put('model_id', model.modelId);
  put('utc_time_created', model.utcTimeCreated);
  if (typeof model.mlflowVersion === 'string') put('mlflow_version', model.mlflowVersion);
  else if (model.mlflowVersion === null) delete dict['mlflow_version']; // to_dict pops a None version
  if (model.signature !== undefined) {
    const signature: Record<string, unknown> = { inputs: model.signature.inputs, outputs: model.signature.outputs };
    if (model.signature.params !== undefined) signature['params'] = model.signature.params;
    put('signature', signature);
  }
  if (model.savedInputExampleInfo !== undefined) put('saved_input_example_info', model.savedInputExampleInfo);
  if (model.metadata !== undefined) put('metadata', model.metadata);
  if (model.modelSizeBytes !== undefined) put('model_size_bytes', model.modelSizeBytes);
  return safeDumpYaml(dict, { sortKeys: true, allowUnicode: false });
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** `str(datetime.utcnow())`: `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC, the fraction absent when it is 0. */
export function utcTimeCreated(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw invalidParameter('utcTimeCreated needs a valid Date.');
  }
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const base =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

/**
 * The flavor this library loads a model with: its own JS flavor when present
 * (it may wrap an ONNX graph with pre/post-processing), else `onnx`.
 */
export function loadableFlavor(model: MLmodel): 'onnx' | typeof FLAVOR_JS {
  const flavors = isPlainObject(model?.flavors) ? model.flavors : {};
  if (hasOwn(flavors, FLAVOR_JS)) return FLAVOR_JS;
  if (hasOwn(flavors, FLAVOR_ONNX)) return FLAVOR_ONNX;
  const names = Object.keys(flavors);
  if (names.length === 0) {
    throw invalidParameter(
      `This model has no flavors, so there is nothing to load. mlflow-edge loads the '${FLAVOR_ONNX}' flavor ` +
        `(or its own '${FLAVOR_JS}' flavor): log an ONNX flavor, e.g. mlflow.onnx.log_model, to load it in the browser.`,
      { flavors: names },
    );
  }
  throw invalidParameter(
    `This model only has flavors that need Python (${names.join(', ')}); mlflow-edge loads the '${FLAVOR_ONNX}' flavor ` +
      `(or its own '${FLAVOR_JS}' flavor). Log an ONNX flavor, e.g. mlflow.onnx.log_model, to load it in the browser.`,
    { flavors: names },
  );
}

function uuid4Hex(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return toHex(bytes);
}

export const ONNX_EXECUTION_PROVIDERS = ['CUDAExecutionProvider', 'CPUExecutionProvider'] as const;

/**
 * The MLmodel (and conda.yaml, python_env.yaml, requirements.txt) that
 * `mlflow.onnx.log_model` in MLflow 3.x writes for an ONNX model, so MLflow
 * Python can `mlflow.pyfunc.load_model` a model logged from the browser.
 * Versions not given (onnxruntime, pip, setuptools, wheel) are left unpinned,
 * as MLflow does when it cannot find an installed version.
 */
export function onnxMLmodel(options: {
  runId?: string;
  modelId?: string;
  artifactPath?: string;
  onnxVersion: string;
  mlflowVersion: string;
  pythonVersion: string;
  signature?: MLmodel['signature'];
  savedInputExampleInfo?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  now?: Date;
  /** Total size of the model directory in bytes, as MLflow records it (optional). */
  modelSizeBytes?: number;
  onnxruntimeVersion?: string;
  pipVersion?: string;
  setuptoolsVersion?: string;
  wheelVersion?: string;
}): { mlmodel: MLmodel; files: Record<string, string> } {
  for (const name of ['onnxVersion', 'mlflowVersion', 'pythonVersion'] as const) {
    if (typeof options[name] !== 'string' || options[name].trim() === '') {
      throw invalidParameter(
        `onnxMLmodel needs ${name} (e.g. '${{ onnxVersion: '1.17.0', mlflowVersion: '3.7.0', pythonVersion: '3.11.9' }[name]}').`,
      );
    }
  }
  for (const name of ['onnxruntimeVersion', 'pipVersion', 'setuptoolsVersion', 'wheelVersion'] as const) {
    const v = options[name];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) {
      throw invalidParameter(`onnxMLmodel: ${name} must be a non-empty version string when given.`);
    }
  }
  if (
    options.modelSizeBytes !== undefined &&
    !(Number.isSafeInteger(options.modelSizeBytes) && options.modelSizeBytes >= 0)
  ) {
    throw invalidParameter('onnxMLmodel: modelSizeBytes must be a non-negative integer.');
  }

  const extra: Record<string, unknown> = { prompts: null };
  const mlmodel: MLmodel = {
    flavors: {
      [FLAVOR_ONNX]: {
        code: null,
        data: 'model.onnx',
        onnx_session_options: null,
        onnx_version: options.onnxVersion,
        providers: [...ONNX_EXECUTION_PROVIDERS],
      },
      [FLAVOR_PYFUNC]: {
        data: 'model.onnx',
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: options.pythonVersion,
      },
    },
    modelUuid: options.modelId ?? uuid4Hex(),
    modelId: options.modelId ?? null,
    utcTimeCreated: utcTimeCreated(options.now ?? new Date()),
    mlflowVersion: options.mlflowVersion,
    extra,
  };
  if (options.artifactPath !== undefined) mlmodel.artifactPath = options.artifactPath;
  if (options.runId !== undefined) mlmodel.runId = options.runId;
  if (options.signature !== undefined) {
    mlmodel.signature = {
      inputs: options.signature.inputs,
      outputs: options.signature.outputs,
      params: options.signature.params ?? null,
    };
    extra['is_signature_from_type_hint'] = false;
    extra['type_hint_from_example'] = false;
  }
  if (options.savedInputExampleInfo !== undefined) mlmodel.savedInputExampleInfo = options.savedInputExampleInfo;
  if (options.metadata !== undefined) mlmodel.metadata = options.metadata;
  if (options.modelSizeBytes !== undefined) mlmodel.modelSizeBytes = options.modelSizeBytes;

  const pin = (name: string, version: string | undefined) => (version === undefined ? name : `${name}==${version}`);
  const requirements = [
    `mlflow==${options.mlflowVersion}`,
    `onnx==${options.onnxVersion}`,
    pin('onnxruntime', options.onnxruntimeVersion),
  ];
  const conda = {
    name: 'mlflow-env',
    channels: ['conda-forge'],
    dependencies: [
      `python=${options.pythonVersion}`,
      options.pipVersion === undefined ? 'pip' : `pip<=${options.pipVersion}`,
      { pip: [...requirements] },
    ],
  };
  const pythonEnv = {
    python: options.pythonVersion,
    build_dependencies: [
      pin('pip', options.pipVersion),
      pin('setuptools', options.setuptoolsVersion),
      pin('wheel', options.wheelVersion),
    ],
    dependencies: ['-r requirements.txt'],
  };
  return {
    mlmodel,
    files: {
      'conda.yaml': safeDumpYaml(conda, { sortKeys: true }),
      'python_env.yaml': safeDumpYaml(pythonEnv, { sortKeys: false }),
      'requirements.txt': requirements.join('\n'),
    },
  };
}
