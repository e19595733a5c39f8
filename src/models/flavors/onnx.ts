/**
 * The `onnx` flavor: an InferenceSession over the model's `data` file.
 * Inputs map to the graph as MLflow's ONNX pyfunc does
 * (`_OnnxModelWrapper.predict`): named tensors by name; one unnamed tensor,
 * or columns stacked into a matrix, to a graph with exactly one input.
 * Sessions are cached by the model file's sha256: models loaded from the
 * same bytes share one, released when the last of them is closed. The file
 * is checked and its ZipMap outputs rewritten first (`onnx/graph.ts`); those
 * outputs come back as pyfunc returns them: per row, class label → probability.
 */
import { sha256Hex } from '../../schema/digest.js';
import { MlflowEdgeError, invalidParameter } from '../../schema/errors.js';
import type { PredictInput, Tensor } from '../../schema/signature.js';
import { UNNAMED_INPUT } from '../../schema/signature.js';
import { ZipMapOutput } from '../../schema/zipmap.js';
import type { OnnxRuntimeOptions } from '../../protocol.js';
import { prepareOnnx } from '../onnx/graph.js';
import { loadOrt, type Ort } from '../ort.js';
import type { Predictor } from '../predictor.js';

type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** One InferenceSession per model file content, shared by every model loaded from it. */
interface SessionInfo {
  session: Session;
  inputTypes: Map<string, string | undefined>;
  inputNames: string[];
  outputNames: string[];
  /** Outputs that were ZipMaps: output name → class labels. */
  zipMaps: Map<string, (number | string)[]>;
}

/** Reads a file named relative to the ONNX file (its external data). */
export type SiblingFile = (path: string) => Promise<Uint8Array>;
/** Counted at once (before the session is ready), so a close racing a load never releases a session in use. */
const sessions = new Map<string, { ready: Promise<SessionInfo>; refs: number }>();

/**
 * The file checked and rewritten (`onnx/graph.ts`) and its external data read,
 * before the cache is asked: the session key covers the external data too, so
 * two models sharing a graph file but not their weights never share a session.
 */
async function prepare(ort: Ort, bytes: Uint8Array, sibling: SiblingFile) {
  const prepared = prepareOnnx(bytes, ort.env.versions?.web);
  const externalData = await Promise.all(
    prepared.externalData.map(async (path) => {
      try {
        return { path, data: await sibling(path) };
      } catch (error) {
        throw invalidParameter(
          `The ONNX model keeps tensors in the external data file '${path}', which could not be read (${(error as Error).message}). Log the file beside model.onnx, or save the model with its tensors inside (onnx.save_model(model, path, save_as_external_data=False)).`,
          { field: 'model.onnx', externalData: path },
        );
      }
    }),
  );
  const key = [bytes, ...externalData.map((d) => d.data)].map(sha256Hex).join(':');
  return { key, prepared, externalData };
}

function openSession(
  ort: Ort,
  { key, prepared, externalData }: Awaited<ReturnType<typeof prepare>>,
): { key: string; ready: Promise<SessionInfo> } {
  let entry = sessions.get(key);
  if (entry === undefined) {
    const ready = (async (): Promise<SessionInfo> => {
      let session: Session;
      try {
        session = await ort.InferenceSession.create(prepared.bytes, { executionProviders: ['wasm'], externalData });
      } catch (error) {
        throw invalidParameter(
          `The model's ONNX file could not be loaded by onnxruntime-web (${(error as Error).message}). Check that model.onnx is complete and was exported with an opset onnxruntime-web supports.`,
          { field: 'model.onnx' },
        );
      }
      return {
        session,
        inputTypes: new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : undefined])),
        // Fixed for the session's life; read once, not on every predict.
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        zipMaps: prepared.zipMaps,
      };
    })();
    entry = { ready, refs: 0 };
    sessions.set(key, entry);
    const failed = entry;
    ready.catch(() => {
      if (sessions.get(key) === failed) sessions.delete(key);
    });
  }
  entry.refs++;
  return { key, ready: entry.ready };
}

function releaseSession(key: string): Promise<void> | undefined {
  const entry = sessions.get(key);
  if (entry === undefined || --entry.refs > 0) return undefined;
  sessions.delete(key);
  return entry.ready.then(({ session }) => session.release()).catch(() => undefined);
}

export async function loadOnnx(
  bytes: Uint8Array,
  runtime: OnnxRuntimeOptions,
  sibling: SiblingFile = () => Promise.reject(new Error('no files beside model.onnx')),
): Promise<Predictor> {
  const ort = await loadOrt(runtime);
  const { key, ready } = openSession(ort, await prepare(ort, bytes, sibling));
  let info: SessionInfo;
  try {
    info = await ready;
  } catch (error) {
    void releaseSession(key); // the session failed to open: nothing to wait for
    throw error;
  }
  const { session, inputTypes, inputNames, outputNames, zipMaps } = info;
  let closed = false;
  return {
    async predict(input: PredictInput): Promise<Record<string, Tensor | ZipMapOutput>> {
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      const given = feedTensors(input, inputNames);
      for (const name in given) {
        const t = given[name]!;
        // As MLflow's ONNX pyfunc: float64 feeds go to tensor(float) inputs as float32.
        feeds[name] =
          t.dtype === 'float64' && inputTypes.get(name) === 'float32'
            ? new ort.Tensor('float32', Float32Array.from(t.data as Float64Array), t.shape)
            : new ort.Tensor(ortType(t.dtype) as 'float32', t.data as Float32Array, t.shape);
      }
      let results: Awaited<ReturnType<Session['run']>>;
      try {
        results = await session.run(feeds);
      } catch (error) {
        throw new MlflowEdgeError(
          'INVALID_PARAMETER_VALUE',
          `The ONNX model refused the input: ${(error as Error).message}`,
          { field: inputNames.join(', ') },
        );
      }
      const out: Record<string, Tensor | ZipMapOutput> = {};
      for (const name of outputNames) {
        const r = results[name]!;
        const labels = zipMaps.get(name);
        out[name] =
          labels === undefined
            ? { data: r.data as Tensor['data'], shape: [...r.dims], dtype: numpyType(r.type) }
            : new ZipMapOutput(r.data as Float32Array, labels);
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      // The last model using the session releases it.
      await releaseSession(key);
    },
  };
}

function feedTensors(input: PredictInput, inputNames: readonly string[]): Record<string, Tensor> {
  if (input.kind === 'tensors') {
    const entries = Object.entries(input.tensors);
    if (entries.length === 1 && entries[0]![0] === UNNAMED_INPUT) {
      if (inputNames.length !== 1) {
        throw invalidParameter(
          `This ONNX model has ${inputNames.length} inputs (${inputNames.join(', ')}): pass them by name, as { name: tensor }.`,
          { field: UNNAMED_INPUT },
        );
      }
      return { [inputNames[0]!]: entries[0]![1] };
    }
    return input.tensors;
  }
  // Columns: one matrix for a single-input graph (df.values), else one column per input name.
  const names = Object.keys(input.columns);
  if (inputNames.length === 1) {
    const data = new Float32Array(input.rows * names.length);
    names.forEach((name, j) => input.columns[name]!.forEach((v, i) => (data[i * names.length + j] = Number(v))));
    return { [inputNames[0]!]: { data, shape: [input.rows, names.length], dtype: 'float32' } };
  }
  const out: Record<string, Tensor> = {};
  for (const name of inputNames) {
    const column = input.columns[name];
    if (column === undefined)
      throw invalidParameter(`The ONNX model needs an input named '${name}'.`, { field: name, expected: inputNames });
    out[name] = { data: Float32Array.from(column, Number), shape: [column.length], dtype: 'float32' };
  }
  return out;
}

const ORT_TYPES: Record<string, string> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  bool: 'bool',
  string: 'string',
  float16: 'float16',
  uint32: 'uint32',
  uint64: 'uint64',
};

function ortType(dtype: string): string {
  const t = ORT_TYPES[dtype];
  if (t === undefined)
    throw invalidParameter(`Tensors of dtype ${dtype} cannot be fed to onnxruntime-web.`, {
      field: 'dtype',
      received: dtype,
    });
  return t;
}

function numpyType(ortTypeName: string): string {
  return ortTypeName === 'bool' ? 'bool' : ortTypeName;
}
