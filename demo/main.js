// The demo uses only the public API of mlflow-edge.
import { openTracker, MlflowEdgeError } from '../dist/index.js';

const tracker = await openTracker({ dbName: 'mlflow-edge-demo' });
const $ = (selector) => document.querySelector(selector);
let selectedRunId;
let filter = '';

// A fixed two-class data set: two Gaussian blobs from a seeded generator.
function dataset(n = 200, seed = 7) {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    xs.push([gauss() + (y ? 1.2 : -1.2), gauss() + (y ? 0.8 : -0.8)]);
    ys.push(y);
  }
  return { xs, ys };
}

async function train({ experiment, lr, epochs }) {
  const { xs, ys } = dataset();
  const run = await tracker.startRun({ experimentName: experiment, tags: { model: 'logistic-regression' } });
  run.logParams({ lr, epochs, n_samples: xs.length });
  let w = [0, 0];
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    let loss = 0;
    let correct = 0;
    const gw = [0, 0];
    let gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const [x1, x2] = xs[i];
      const p = 1 / (1 + Math.exp(-(w[0] * x1 + w[1] * x2 + b)));
      loss -= ys[i] ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12);
      if ((p > 0.5 ? 1 : 0) === ys[i]) correct++;
      gw[0] += (p - ys[i]) * x1;
      gw[1] += (p - ys[i]) * x2;
      gb += p - ys[i];
    }
    w = [w[0] - (lr * gw[0]) / xs.length, w[1] - (lr * gw[1]) / xs.length];
    b -= (lr * gb) / xs.length;
    run.logMetrics({ loss: loss / xs.length, accuracy: correct / xs.length }, { step: epoch });
  }
  await run.logArtifact('model/weights.json', JSON.stringify({ w, b }));
  await run.end();
  return run.runId;
}

async function showRuns() {
  const tbody = $('#runs tbody');
  let runs;
  try {
    runs = await tracker.searchRuns({ filter, orderBy: ['attributes.start_time DESC'] });
    $('#search-error').textContent = '';
  } catch (error) {
    $('#search-error').textContent = error instanceof MlflowEdgeError ? `${error.code}: ${error.message}` : String(error);
    return;
  }
  tbody.replaceChildren(
    ...runs.map((run) => {
      const row = document.createElement('tr');
      row.tabIndex = 0;
      row.dataset.runId = run.info.runId;
      row.setAttribute('aria-selected', String(run.info.runId === selectedRunId));
      const cells = [
        run.info.runName,
        run.info.status,
        run.data.params.lr ?? '',
        run.data.params.epochs ?? '',
        run.data.metrics.accuracy?.toFixed(3) ?? '',
        run.data.metrics.loss?.toFixed(4) ?? '',
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        row.append(td);
      }
      const choose = () => showHistory(run.info.runId, run.info.runName);
      row.addEventListener('click', choose);
      row.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), choose()));
      return row;
    }),
  );
}

async function showHistory(runId, runName) {
  selectedRunId = runId;
  for (const row of document.querySelectorAll('#runs tbody tr')) row.setAttribute('aria-selected', String(row.dataset.runId === runId));
  const series = { loss: '#e67e22', accuracy: '#2980b9' };
  const chart = $('#chart');
  chart.replaceChildren();
  let points = 0;
  for (const [key, color] of Object.entries(series)) {
    const history = await tracker.getMetricHistory(runId, key);
    points += history.length;
    if (history.length === 0) continue;
    const maxStep = Math.max(1, ...history.map((p) => p.step));
    const maxValue = Math.max(1, ...history.map((p) => p.value));
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('stroke', color);
    line.setAttribute('points', history.map((p) => `${(p.step / maxStep) * 390 + 5},${155 - (p.value / maxValue) * 150}`).join(' '));
    line.dataset.metric = key;
    chart.append(line);
  }
  $('#history-caption').textContent = `${runName}: loss (orange) and accuracy (blue), ${points} points.`;
}

async function showStorage() {
  const { usage, quota, persisted } = await tracker.storage();
  $('#storage').textContent = `${(usage / 1e6).toFixed(2)} MB used of ${(quota / 1e9).toFixed(1)} GB; ${persisted ? 'persistent' : 'best-effort (the browser may evict it under storage pressure)'}.`;
}

$('#train').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const status = $('#train-status');
  status.textContent = 'Training…';
  try {
    const runId = await train({ experiment: String(form.get('experiment')), lr: Number(form.get('lr')), epochs: Number(form.get('epochs')) });
    status.textContent = 'Done.';
    await showRuns();
    const run = await tracker.getRun(runId);
    await showHistory(runId, run.info.runName);
    await showStorage();
  } catch (error) {
    status.textContent = error instanceof MlflowEdgeError ? `${error.code}: ${error.message}` : String(error);
  }
});

$('#search').addEventListener('submit', async (event) => {
  event.preventDefault();
  filter = String(new FormData(event.target).get('filter'));
  await showRuns();
});

$('#persist').addEventListener('click', async () => {
  await tracker.requestPersistence();
  await showStorage();
});

tracker.onError((error) => ($('#train-status').textContent = `${error.code ?? 'ERROR'}: ${error.message}`));
await showRuns();
await showStorage();
document.body.dataset.ready = 'true';
