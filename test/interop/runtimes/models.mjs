// Models in Node, Deno and Bun (test/interop/runtimes.test.ts): an ONNX model from a URL with the
// signature check, and a code model that runs only with allowCode. Prints one JSON line.
//   env: EDGE_DIST (dist/ as a file URL), STORE, MODEL_URL, ORT_MODULE (optional onnxruntime-web URL)
const env = (name) => (globalThis.Deno ? globalThis.Deno.env.get(name) : process.env[name]);
const { openTracker } = await import(`${env('EDGE_DIST')}/node.js`);

const onnxruntime = env('ORT_MODULE') ? { module: env('ORT_MODULE') } : undefined;
const tracker = await openTracker({ store: { path: env('STORE') } });
const out = {};
const iris = await tracker.loadModel(env('MODEL_URL'), onnxruntime ? { onnxruntime } : {});
const inputs = JSON.parse(env('INPUTS'));
const { outputs } = await iris.predict(inputs);
out.provider = iris.metadata.executionProvider;
out.label = Array.from(outputs.label.data, Number);
out.probabilities = Array.from(outputs.probabilities.data);
try {
  await iris.predict([[1, 2]]);
} catch (error) {
  out.badInput = error.code;
}
const run = await tracker.startRun({ experimentName: 'models' });
const code =
  "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (context, rows) => rows.map((row) => Math.PI * row.radius ** 2) });";
const info = await run.logModel('circle', { code }, { inputExample: [{ radius: 1.5 }] });
await run.end();
try {
  await tracker.loadModel(info.modelUri);
} catch (error) {
  out.withoutAllowCode = error.code;
}
const circle = await tracker.loadModel(info.modelUri, { allowCode: true });
out.area = (await circle.predict([{ radius: 2 }])).outputs[0];
try {
  await circle.predict([{ diameter: 4 }]);
} catch (error) {
  out.wrongColumn = error.code;
}
console.log(JSON.stringify(out));
await tracker.close();
