/**
 * The worker end of a model's predict channel: a MessagePort of its own,
 * beside comlink. One request in, one reply out, matched by `seq`; typed
 * arrays move by transfer both ways. Comlink's per-call work (a proxy per
 * property access, uuid ids, wire-value wrapping) is a measurable share of a
 * batch-1 predict, which is why predict does not go through it.
 */
import type { PredictReply, PredictRequest, PredictResult } from '../protocol.js';
import { MlflowEdgeError, serializeError } from '../schema/errors.js';
import { flattenTensors, unflattenTensors, type FlatTensors } from '../schema/flat-tensors.js';
import { expandZipMaps } from '../schema/zipmap.js';

export interface PredictHost {
  predict(id: number, input: unknown, params?: Record<string, unknown>): Promise<PredictResult<unknown>>;
}

/**
 * Answers predict requests for model `id` arriving on `port`. `host` is asked
 * on every call, so a closed tracker or model answers with its own error.
 */
export function servePredicts(port: MessagePort, id: number, host: () => PredictHost | Promise<PredictHost>): void {
  port.onmessage = async ({ data }: MessageEvent<PredictRequest>) => {
    const flat = Array.isArray(data);
    const seq = flat ? data[0] : data.seq;
    let result: PredictResult<unknown>;
    try {
      const input = flat ? unflattenTensors(data as FlatTensors, 2) : data.input;
      const params = flat ? data[1] : data.params;
      result = await (await host()).predict(id, input, params);
    } catch (error) {
      port.postMessage({ seq, error: serializeError(error) } satisfies PredictReply);
      return;
    }
    try {
      const reply: FlatTensors = [seq];
      if (result.warnings.length === 0 && flattenTensors(result.outputs, reply))
        port.postMessage(reply, outputBuffers(result.outputs));
      else {
        const outputs = expandZipMaps(result.outputs);
        port.postMessage({ seq, result: { ...result, outputs } } satisfies PredictReply, outputBuffers(outputs));
      }
    } catch (error) {
      // The reply must still come, or the caller waits for ever: e.g. a code model returned a function.
      const refusal = new MlflowEdgeError(
        'BAD_REQUEST',
        `The model's output could not be sent to the page (${(error as Error).name}: ${(error as Error).message}). A code model's predict must return plain data: numbers, strings, arrays, objects, typed arrays.`,
      );
      port.postMessage({ seq, error: serializeError(refusal) } satisfies PredictReply);
    }
  };
}

/**
 * Buffers of tensor outputs (`{ name: { data: typed array } }`, what ONNX
 * models return), each once. A code model's bare typed arrays are copied, not
 * transferred: the model may keep using them.
 */
function outputBuffers(outputs: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  if (outputs !== null && typeof outputs === 'object' && !ArrayBuffer.isView(outputs)) {
    for (const value of Object.values(outputs)) {
      const data = value !== null && typeof value === 'object' ? (value as { data?: unknown }).data : undefined;
      if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
    }
  }
  return [...buffers];
}
