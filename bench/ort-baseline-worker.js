// The hand-written baseline for predict: a worker that calls onnxruntime-web's
// session.run directly on transferred input and posts the output back.
let ort;
let session;
self.onmessage = async ({ data }) => {
  if (data.type === 'load') {
    ort = await import(data.ortModule);
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(new Uint8Array(data.bytes), { executionProviders: ['wasm'] });
    postMessage({ type: 'loaded' });
  } else {
    const out = await session.run({ x: new ort.Tensor('float32', data.input, data.shape) });
    const logits = out.logits.data;
    postMessage({ type: 'result', logits }, [logits.buffer]);
  }
};
