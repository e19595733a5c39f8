// Reference for the predict rows: the same model in onnxruntime-node on this
// machine, one intra-op thread like the browser rows, timed the same way
// (median ms per session.run over fresh random inputs, after a warm-up).
// Returns { ok: false, why } when onnxruntime-node cannot be loaded or run.
import { readFileSync } from 'node:fs';

export async function ortNodeReference(
  modelPath,
  runs = [
    [1, 300],
    [1000, 40],
  ],
) {
  let ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    return { ok: false, why: `onnxruntime-node not loadable: ${error.message.split('\n')[0]}` };
  }
  try {
    const session = await ort.InferenceSession.create(readFileSync(modelPath), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
    });
    const out = { ok: true, version: ort.env.versions?.node ?? '?' };
    for (const [batch, calls] of runs) {
      const inputs = Array.from({ length: calls + 5 }, () => new Float32Array(batch * 784).map(() => Math.random()));
      const times = [];
      for (const [i, data] of inputs.entries()) {
        const t0 = performance.now();
        await session.run({ x: new ort.Tensor('float32', data, [batch, 784]) });
        if (i >= 5) times.push(performance.now() - t0);
      }
      out[`node${batch}`] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    }
    await session.release();
    return out;
  } catch (error) {
    return { ok: false, why: `onnxruntime-node failed: ${error.message.split('\n')[0]}` };
  }
}
