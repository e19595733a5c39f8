// The predict channel (client/predict-channel.ts ↔ worker/predict-port.ts)
// over a real MessageChannel: replies reach the right callers, errors keep
// their MLflow code, typed arrays move by transfer both ways.
import { afterEach, describe, expect, test } from 'vitest';
import { PredictChannel } from '../../../src/client/predict-channel.js';
import { ModelHost } from '../../../src/models/host.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { normalizeInput, parseSignature } from '../../../src/schema/signature.js';
import { fromValue } from '../../../src/schema/signature/input.js';
import { servePredicts, type PredictHost } from '../../../src/worker/predict-port.js';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

function channelTo(host: PredictHost, id = 1): PredictChannel {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  servePredicts(port2, id, () => host);
  return new PredictChannel(port1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('predict channel', () => {
  test('an MlflowEdgeError reaches the caller typed, with code, message and details', async () => {
    const channel = channelTo({
      async predict() {
        throw new MlflowEdgeError(
          'INVALID_PARAMETER_VALUE',
          'Shape of input (1, 3) does not match expected shape (-1, 4).',
          { field: 'x', expected: '(-1, 4)' },
        );
      },
    });
    const error = await channel.predict({}, undefined, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowEdgeError);
    expect(error).toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'Shape of input (1, 3) does not match expected shape (-1, 4).',
      details: { field: 'x', expected: '(-1, 4)' },
    });
  });

  test('a plain Error arrives typed (INTERNAL_ERROR), keeping its name and message', async () => {
    const channel = channelTo({
      async predict() {
        throw new RangeError('out of range');
      },
    });
    const error = (await channel.predict({}, undefined, []).catch((e: unknown) => e)) as MlflowEdgeError;
    expect(error).toBeInstanceOf(MlflowEdgeError);
    expect([error.code, error.message, error.details?.name]).toEqual([
      'INTERNAL_ERROR',
      'RangeError: out of range',
      'RangeError',
    ]);
  });

  test('a closed (or unknown) model answers INVALID_STATE through the channel', async () => {
    const host = new ModelHost((async () => {
      throw new Error('no files');
    }) as never);
    const error = await channelTo(host, 7)
      .predict([{ a: 1 }], undefined, [])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowEdgeError);
    expect(error).toMatchObject({ code: 'INVALID_STATE' });
  });

  test('typed arrays are transferred both ways: the caller’s input and the worker’s output buffers are detached', async () => {
    let kept: Float32Array | undefined;
    const channel = channelTo({
      async predict(_id, input) {
        const x = (input as { x: { data: Float32Array } }).x.data;
        kept = new Float32Array(x.length).map((_, i) => x[i]! * 2);
        return { outputs: { y: { data: kept, shape: [x.length], dtype: 'float32' } }, warnings: [] };
      },
    });
    const data = new Float32Array([1, 2, 3]);
    const pending = channel.predict({ x: { data, shape: [3], dtype: 'float32' } }, undefined, [data.buffer]);
    expect(data.byteLength).toBe(0);
    const { outputs } = (await pending) as { outputs: { y: { data: Float32Array } } };
    expect(Array.from(outputs.y.data)).toEqual([2, 4, 6]);
    expect(kept?.byteLength).toBe(0);
  });

  test('replies that come back out of order reach their own callers; two models’ channels do not mix', async () => {
    const host = (factor: number): PredictHost => ({
      async predict(_id, input) {
        const n = input as number;
        await sleep((10 - n) * 3); // later calls answer first
        return { outputs: n * factor, warnings: [] };
      },
    });
    const a = channelTo(host(10), 1);
    const b = channelTo(host(-1), 2);
    const calls = Array.from(
      { length: 10 },
      (_, n) => [a.predict(n, undefined, []), b.predict(n, undefined, [])] as const,
    );
    const results = await Promise.all(calls.map((pair) => Promise.all(pair)));
    expect(results.map(([x, y]) => [x.outputs, y.outputs])).toEqual(Array.from({ length: 10 }, (_, n) => [n * 10, -n]));
  });

  test('named tensors cross flat and come back as { name: { data, shape, dtype } }; anything else crosses as it is', async () => {
    const seen: unknown[] = [];
    const channel = channelTo({
      async predict(_id, input, params) {
        seen.push(structuredClone({ input, params })); // the outputs below are transferred away
        return { outputs: input, warnings: [] };
      },
    });
    const tensors = () => ({
      a: { data: new Float32Array([1, 2]), shape: [1, 2], dtype: 'float32' },
      b: { dtype: 'int32', shape: [], data: new Int32Array([7]) },
    });
    const r = await channel.predict(tensors(), { p: 1 }, []);
    expect(r.outputs).toEqual(tensors());
    expect(seen[0]).toEqual({ input: tensors(), params: { p: 1 } });
    const odd = [
      { a: { data: new Float32Array(1), shape: [1], dtype: 'float32', extra: 1 } },
      { a: { data: [1], shape: [1], dtype: 'float32' } },
      { a: { data: new Float32Array(1), shape: [1, '2'], dtype: 'float32' } },
      { a: new Float32Array(2) },
      {},
      [{ a: 1 }],
    ];
    for (const input of odd) expect((await channel.predict(input, undefined, [])).outputs).toEqual(input);
  });

  test('params cross with the call', async () => {
    const channel = channelTo({ predict: async (_id, _input, params) => ({ outputs: params, warnings: [] }) });
    expect((await channel.predict([], { k: 3 }, [])).outputs).toEqual({ k: 3 });
    expect((await channel.predict([], undefined, [])).outputs).toBeUndefined();
  });

  test('an output that cannot be cloned is a BAD_REQUEST, and the channel keeps working', async () => {
    let calls = 0;
    const channel = channelTo({
      predict: async () => ({ outputs: calls++ === 0 ? { f: () => 1 } : 'fine', warnings: [] }),
    });
    const error = await channel.predict([], undefined, []).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((error as Error).message).toMatch(/could not be sent to the page/);
    expect((await channel.predict([], undefined, [])).outputs).toBe('fine');
  });

  test('a channel the worker refused fails what waits and what comes', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const channel = new PredictChannel(port1);
    const waiting = channel.predict([], undefined, []).catch((e: unknown) => e);
    const refusal = new MlflowEdgeError(
      'INVALID_STATE',
      'The tracker is closed (or was never opened). Call openTracker() again.',
    );
    channel.fail(refusal);
    expect(await waiting).toBe(refusal);
    expect(await channel.predict([], undefined, []).catch((e: unknown) => e)).toBe(refusal);
  });

  test('close() waits for the calls under way', async () => {
    const channel = channelTo({
      async predict() {
        await sleep(20);
        return { outputs: 'done', warnings: [] };
      },
    });
    const pending = channel.predict([], undefined, []);
    channel.close();
    expect((await pending).outputs).toBe('done');
  });
});

// normalizeInput's shortcut for { name: { data, shape, dtype } } must give exactly what the general path gives.
describe('named tensors shortcut', () => {
  const signature = parseSignature({
    inputs:
      '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}, {"name": "m", "type": "tensor", "tensor-spec": {"dtype": "bool", "shape": [-1]}}]',
    outputs: null,
    params: null,
  });
  const outcome = (f: () => unknown) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { error: (e as MlflowEdgeError).message, details: (e as MlflowEdgeError).details };
    }
  };
  const inputs: Record<string, () => unknown> = {
    'float32 and bool (uint8)': () => ({
      x: { data: new Float32Array(8), shape: [2, 4], dtype: 'float32' },
      m: { data: new Uint8Array(2), shape: [2], dtype: 'bool' },
    }),
    'one of two': () => ({ x: { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' } }),
    'dtype alias': () => ({ x: { data: new Float32Array(4), shape: [1, 4], dtype: '<f4' } }),
    'shape that does not fit': () => ({ x: { data: new Float32Array(4), shape: [2, 4], dtype: 'float32' } }),
    'negative dimension': () => ({ x: { data: new Float32Array(4), shape: [-1, 4], dtype: 'float32' } }),
    'dtype not the data’s': () => ({ x: { data: new Float64Array(4), shape: [1, 4], dtype: 'float32' } }),
    'unknown name': () => ({ y: { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' } }),
    'nested arrays': () => ({ x: { data: [1, 2, 3, 4], shape: [1, 4], dtype: 'float32' } }),
    'serving payload': () => ({ inputs: { x: [[1, 2, 3, 4]] } }),
    'a bare tensor': () => ({ data: new Float32Array(4), shape: [1, 4], dtype: 'float32' }),
    'empty object': () => ({}),
  };
  for (const [name, make] of Object.entries(inputs)) {
    test(name, () => {
      const general = outcome(() => {
        const made = make();
        const viaServing = name === 'serving payload';
        return viaServing ? normalizeInput(made, signature).input : fromValue(made, signature.inputs);
      });
      expect(outcome(() => normalizeInput(make(), signature).input)).toEqual(general);
    });
  }
});
