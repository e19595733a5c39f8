/**
 * The `onnx` flavor: an InferenceSession over the model's `data` file.
 * Inputs map to the graph as MLflow's ONNX pyfunc does
 * (`_OnnxModelWrapper.predict`; see ../onnx-feeds.ts): named tensors by
 * name; one unnamed tensor, or columns stacked into a matrix, to a graph
 * with exactly one input; else one column per input, each of the element
 * type and rank the graph declares.
 * Sessions are cached by the model file's sha256: models loaded from the
 * same bytes share one, released when the last of them is closed. The file
 * is checked and its ZipMap outputs rewritten first (`onnx/graph.ts`); those
 * outputs come back as pyfunc returns them: per row, class label → probability.
 */
import { sha256Hex } from '../../schema/digest.js';
import { MlflowEdgeError, invalidParameter } from '../../schema/errors.js';
import { feedTensors, type GraphInput } from '../onnx-feeds.js';
import type { PredictInput, Tensor } from '../../schema/signature.js';
import { ZipMapOutput } from '../../schema/zipmap.js';
import type { OnnxRuntimeOptions } from '../../protocol.js';
import { prepareOnnx } from '../onnx/graph.js';
import { executionProvider, loadOrt, type Ort } from '../ort.js';
import type { Predictor } from '../predictor.js';

type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** One InferenceSession per model file content, shared by every model loaded from it. */
interface SessionInfo {
  session: Session;
  /** The graph's inputs with their declared element types and dims. */
  inputs: GraphInput[];
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
        session = await ort.InferenceSession.create(prepared.bytes, {
          executionProviders: [executionProvider()],
          externalData,
        });
      } catch (error) {
        throw invalidParameter(
          `The model's ONNX file could not be loaded by onnxruntime-web (${(error as Error).message}). Check that model.onnx is complete and was exported with an opset onnxruntime-web supports.`,
          { field: 'model.onnx' },
        );
      }
      return {
        session,
        inputs: session.inputMetadata.map((m) => ({
          name: m.name,
          type: m.isTensor ? m.type : undefined,
          // onnxruntime-web reports a dim with neither value nor name (skl2onnx's None) as 2**32 - 1.
          dims:
            m.isTensor && m.shape.length > 0
              ? m.shape.map((d) =>
                  typeof d === 'number' && d < 2 ** 31 ? d : typeof d === 'string' && d !== '' ? d : 'None',
                )
              : undefined,
        })),
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
  const { session, inputs, inputNames, outputNames, zipMaps } = info;
  let closed = false;
  return {
    async predict(input: PredictInput): Promise<Record<string, Tensor | ZipMapOutput>> {
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      const given = feedTensors(input, inputs);
      for (const name in given) {
        const { type, data, dims } = given[name]!;
        feeds[name] = new ort.Tensor(type as 'float32', data as Float32Array, dims);
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
      return input.kind === 'columns' ? asColumns(out) : out;
    },
    async close() {
      if (closed) return;
      closed = true;
      // The last model using the session releases it.
      await releaseSession(key);
    },
  };
}

/**
 * Columns in, columns out, as pyfunc's DataFrame answer (`reshape(-1)` of
 * each output): an output of shape [N, 1] becomes [N]. Outputs of [N, k]
 * keep their shape (pyfunc flattens them to N·k values and then fails to
 * build its DataFrame when another output has N rows).
 */
function asColumns<T extends Record<string, Tensor | ZipMapOutput>>(outputs: T): T {
  for (const name in outputs) {
    const t = outputs[name]!;
    if (!(t instanceof ZipMapOutput) && t.shape.length === 2 && t.shape[1] === 1)
      (outputs as Record<string, Tensor>)[name] = { ...t, shape: [t.shape[0]!] };
  }
  return outputs;
}

function numpyType(ortTypeName: string): string {
  return ortTypeName === 'string' ? 'str' : ortTypeName;
}
