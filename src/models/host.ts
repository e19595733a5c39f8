/**
 * Models loaded in the worker: MLmodel read, flavor chosen, predictor built;
 * every predict call goes through the signature first (MLflow's rules), so a
 * bad input is a typed error before the model runs.
 */
import { doesNotExist, MlflowEdgeError } from '../schema/errors.js';
import {
  enforceParams,
  enforceSchema,
  normalizeInput,
  parseSignature,
  type ModelSignature,
  type Tensor,
} from '../schema/signature.js';
import { loadJs, type JsFlavor } from './flavors/js.js';
import { loadOnnx } from './flavors/onnx.js';
import { executionProvider } from './ort.js';
import { FLAVOR_JS, type LoadModelOptions, type ModelMetadata, type PredictResult } from '../protocol.js';
import { loadableFlavor, parseMLmodel, type MLmodel } from './mlmodel.js';
import { modelFilePath, parseModelUri, type ModelUri } from './model-uri.js';
import type { Predictor } from './predictor.js';
import { expandZipMaps } from '../schema/zipmap.js';
import type { ModelSource } from './resolve.js';

/** Opens a model URI: its files, and where they came from. */
export type OpenModel = (uri: ModelUri, uriText: string) => Promise<ModelSource>;

export class ModelHost {
  private readonly models = new Map<
    number,
    { predictor: Predictor; signature: ModelSignature | null; flavor: ModelMetadata['flavor'] }
  >();
  private nextId = 1;

  constructor(private readonly open: OpenModel) {}

  async load(uriText: string, options: LoadModelOptions = {}): Promise<{ id: number; metadata: ModelMetadata }> {
    const uri = parseModelUri(uriText);
    const source = await this.open(uri, uriText);
    const text = new TextDecoder().decode(await source.files('MLmodel'));
    const mlmodel = parseMLmodel(text);
    const flavor = loadableFlavor(mlmodel);
    const signature = mlmodel.signature ? parseSignature(mlmodel.signature) : null;
    let predictor: Predictor;
    if (flavor === 'onnx') {
      const data = modelFilePath(mlmodel.flavors.onnx?.data ?? 'model.onnx', 'flavors.onnx.data');
      const folder = data.slice(0, data.lastIndexOf('/') + 1);
      predictor = await loadOnnx(await source.files(data), options.onnxruntime ?? {}, (path) =>
        source.files(modelFilePath(folder + path)),
      );
    } else {
      predictor = await loadJs(mlmodel.flavors[FLAVOR_JS] as unknown as JsFlavor, {
        allowCode: options.allowCode === true,
        file: (path) => source.files(path),
        loadModel: async (nested) => {
          const { id } = await this.load(nested, options);
          return { predict: async (input, params) => expandZipMaps((await this.predict(id, input, params)).outputs) };
        },
      });
    }
    const id = this.nextId++;
    this.models.set(id, { predictor, signature, flavor });
    const metadata: ModelMetadata = {
      ...metadataOf(uriText, flavor, mlmodel, signature),
      loadedFrom: source.loadedFrom,
    };
    if (flavor === 'onnx') metadata.executionProvider = executionProvider();
    return { id, metadata };
  }

  async predict(id: number, input: unknown, params?: Record<string, unknown>): Promise<PredictResult> {
    const model = this.models.get(id);
    if (model === undefined)
      throw new MlflowEdgeError('INVALID_STATE', 'This model was closed. Load it again with tracker.loadModel().');
    const { signature } = model;
    const normal = normalizeInput(input, signature);
    const checked = signature?.inputs ? enforceSchema(normal.input, signature.inputs) : normal.input;
    // Params from a serving payload, overridden by the call's (no copy when only one side has any).
    const merged =
      normal.params === undefined ? params : params === undefined ? normal.params : { ...normal.params, ...params };
    const { params: finalParams, warnings } = enforceParams(
      merged !== undefined && Object.keys(merged).length > 0 ? merged : undefined,
      signature?.params ?? null,
    );
    const outputs = (await model.predictor.predict(checked, finalParams)) as Record<string, Tensor>;
    return { outputs: model.flavor === 'onnx' ? namedAfter(outputs, signature) : outputs, warnings };
  }

  /** The execution provider the loaded ONNX models run on; undefined while none is loaded (system metrics' tag). */
  onnxExecutionProvider(): string | undefined {
    for (const { flavor } of this.models.values()) if (flavor === 'onnx') return executionProvider();
    return undefined;
  }

  async close(id: number): Promise<void> {
    const model = this.models.get(id);
    this.models.delete(id);
    await model?.predictor.close();
  }
}

/**
 * ONNX outputs are keyed by the graph's output names, as pyfunc's DataFrame
 * columns and dict keys are. A signature whose outputs are named otherwise,
 * one name per graph output, renames them in order (the signature is what
 * the model's user was told); any other signature leaves the graph's names.
 */
export function namedAfter(outputs: Record<string, Tensor>, signature: ModelSignature | null): Record<string, Tensor> {
  const schema = signature?.outputs;
  if (!schema) return outputs;
  const specs: { name?: string }[] = schema.kind === 'columns' ? schema.columns : schema.tensors;
  const names = specs.map((s) => s.name);
  const graph = Object.keys(outputs);
  if (names.length !== graph.length || names.some((n) => n === undefined)) return outputs;
  if (graph.every((g) => names.includes(g))) return outputs;
  const renamed: Record<string, Tensor> = {};
  graph.forEach((g, i) => (renamed[names[i]!] = outputs[g]!));
  return renamed;
}

function metadataOf(
  uri: string,
  flavor: ModelMetadata['flavor'],
  m: MLmodel,
  signature: ModelSignature | null,
): Omit<ModelMetadata, 'loadedFrom'> {
  const out: Omit<ModelMetadata, 'loadedFrom'> = {
    uri,
    flavor,
    flavors: m.flavors,
    signature,
    utcTimeCreated: m.utcTimeCreated,
  };
  if (m.runId !== undefined) out.runId = m.runId;
  if (m.modelId !== undefined) out.modelId = m.modelId;
  if (m.modelUuid !== undefined) out.modelUuid = m.modelUuid;
  if (m.mlflowVersion !== undefined) out.mlflowVersion = m.mlflowVersion;
  if (m.savedInputExampleInfo !== undefined) out.savedInputExampleInfo = m.savedInputExampleInfo;
  if (m.metadata !== undefined) out.metadata = m.metadata;
  return out;
}

/** Files of http(s) model directories. */
export async function fetchModelFile(url: string, path: string): Promise<Uint8Array> {
  const target = `${url}/${path.split('/').map(encodeURIComponent).join('/')}`;
  let response: Response;
  try {
    response = await fetch(target);
  } catch (error) {
    throw new MlflowEdgeError(
      'TEMPORARILY_UNAVAILABLE',
      `Could not fetch ${target}: ${(error as Error).message}. Check the URL and that the server sends CORS headers.`,
    );
  }
  if (response.status === 404)
    throw doesNotExist(`No file '${path}' in the model directory ${url} (404). Check the model URI.`, { field: 'uri' });
  if (!response.ok)
    throw new MlflowEdgeError('TEMPORARILY_UNAVAILABLE', `Fetching ${target} failed with HTTP ${response.status}.`);
  return new Uint8Array(await response.arrayBuffer());
}
