/**
 * The mlflow-edge workbench: train an iris classifier in a worker, track it
 * with mlflow-edge, compare runs, predict with the logged models, sync to an
 * MLflow server. Only the library's public API is used (see edge.ts).
 */
import { MetricChart, type Series } from './chart.js';
import { $, errorText, formatNumber } from './dom.js';
import { openTracker, TRACKER_WORKER } from './edge.js';
import { loadIris } from './iris.js';
import { PredictPanel } from './predict.js';
import { RunDetail } from './run-detail.js';
import { RunsTable } from './runs-table.js';
import { SyncPanel } from './sync-panel.js';
import { Trainer } from './trainer.js';
import type { EpochMetrics, TrainConfig } from './types.js';

const tracker = await openTracker({ dbName: 'mlflow-edge-demo', workerUrl: TRACKER_WORKER });
const data = await loadIris();
const trainer = new Trainer(tracker, data);

const status = $<HTMLOutputElement>('#train-status');
const progress = $<HTMLProgressElement>('#train-progress');
const metricSelect = $<HTMLSelectElement>('#chart-metric');
const chart = new MetricChart($('#chart'), $('#chart-caption'));

/** Runs of the current (or last) training action, with the metrics received from the worker. */
let live: { runId: string; label: string; epochs: EpochMetrics[] }[] = [];
let training = false;

const table = new RunsTable(tracker, $<HTMLTableElement>('#runs-table'), $('#filter-error'), {
  open: (runId) => void openRun(runId),
  compareChanged: () => void updateChart(),
});
const detail = new RunDetail(tracker, $('#run-section'), $('#run-title'), $('#run-detail'), {
  open: (runId) => void openRun(runId),
  predict: (uri) => void predict.choose(uri),
});
const predict = new PredictPanel(tracker, data);
const sync = new SyncPanel(tracker, () => {
  void table.refresh();
  if (detail.runId) void detail.show(detail.runId, false);
});

async function openRun(runId: string): Promise<void> {
  table.select(runId);
  history.replaceState(null, '', `#run=${runId}`);
  if (!training) live = [];
  await detail.show(runId);
  await updateChart();
}

async function updateChart(): Promise<void> {
  const metric = metricSelect.value;
  if (table.compare.size > 0) {
    const runs = table.runs.filter((r) => table.compare.has(r.info.runId));
    const series = await Promise.all(
      runs.map(async (r): Promise<Series> => {
        const columns = await tracker.getMetricHistoryColumns(r.info.runId, metric);
        return {
          runId: r.info.runId,
          label: r.info.runName,
          steps: Array.from(columns.steps),
          values: Array.from(columns.values),
        };
      }),
    );
    chart.show(metric, series);
  } else if (live.length > 0) {
    chart.show(
      metric,
      live.map((l) => ({
        runId: l.runId,
        label: l.label,
        steps: l.epochs.map((e) => e.epoch),
        values: l.epochs.map((e) => e[metric as keyof EpochMetrics]),
      })),
    );
  } else if (detail.runId) {
    const run = table.runs.find((r) => r.info.runId === detail.runId);
    const columns = await tracker.getMetricHistoryColumns(detail.runId, metric);
    chart.show(metric, [
      {
        runId: detail.runId,
        label: run?.info.runName ?? detail.runId,
        steps: Array.from(columns.steps),
        values: Array.from(columns.values),
      },
    ]);
  } else chart.show(metric, []);
}

function readConfig(form: FormData): TrainConfig {
  const num = (name: string) => Number(form.get(name));
  return {
    hidden: Math.max(0, Math.round(num('hidden'))),
    learningRate: num('learningRate'),
    epochs: Math.max(1, Math.round(num('epochs'))),
    optimizer: form.get('optimizer') === 'sgd' ? 'sgd' : 'adam',
    l2: num('l2'),
    seed: Math.round(num('seed')),
    validationSplit: num('validationSplit'),
    delayMs: Math.max(0, num('delayMs')),
  };
}

let lastTableRefresh = 0;
function trainOne(
  experimentName: string,
  config: TrainConfig,
  extra: { runName?: string; parentRunId?: string; logModels: boolean; label: string },
) {
  return trainer.train({
    experimentName,
    config,
    logModels: extra.logModels,
    ...(extra.runName ? { runName: extra.runName } : {}),
    ...(extra.parentRunId ? { parentRunId: extra.parentRunId } : {}),
    onStart: (run) => {
      live.push({ runId: run.runId, label: run.runName, epochs: [] });
      if (table.compare.size === 0) void updateChart();
      void table.refresh();
    },
    onEpoch: (run, m) => {
      live.find((l) => l.runId === run.runId)?.epochs.push(m);
      if (table.compare.size === 0 && chart.has(run.runId))
        chart.append(run.runId, m.epoch, m[metricSelect.value as keyof EpochMetrics]);
      progress.value = (m.epoch + 1) / config.epochs;
      status.textContent = `${extra.label}: epoch ${m.epoch + 1} of ${config.epochs}, loss ${formatNumber(m.loss)}, val_accuracy ${formatNumber(m.val_accuracy)}`;
      if (Date.now() - lastTableRefresh > 1000) {
        lastTableRefresh = Date.now();
        void table.refresh();
      }
    },
  });
}

async function action(name: string, work: () => Promise<string>): Promise<void> {
  if (training) return;
  training = true;
  live = [];
  document.body.dataset.training = 'true';
  $<HTMLButtonElement>('#train-button').disabled = true;
  $<HTMLButtonElement>('#sweep-button').disabled = true;
  $<HTMLButtonElement>('#stop-button').disabled = false;
  progress.value = 0;
  status.textContent = `${name}…`;
  try {
    status.textContent = await work();
  } catch (error) {
    status.textContent = `${name} failed: ${errorText(error)}`;
  } finally {
    training = false;
    delete document.body.dataset.training;
    $<HTMLButtonElement>('#train-button').disabled = false;
    $<HTMLButtonElement>('#sweep-button').disabled = false;
    $<HTMLButtonElement>('#stop-button').disabled = true;
    await table.refresh();
    await predict.refreshModels();
    await sync.renderStorage();
    document.body.dataset.trained = String(Number(document.body.dataset.trained ?? 0) + 1);
  }
}

const trainForm = $<HTMLFormElement>('#train-form');
trainForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(trainForm);
  const config = readConfig(form);
  const experimentName = String(form.get('experiment') ?? '').trim() || 'iris';
  const runName = String(form.get('runName') ?? '').trim();
  void action('Training', async () => {
    const result = await trainOne(experimentName, config, {
      runName,
      logModels: form.get('logModels') !== null,
      label: 'Training',
    });
    table.select(result.runId);
    await detail.show(result.runId, false);
    history.replaceState(null, '', `#run=${result.runId}`);
    const run = await tracker.getRun(result.runId);
    return `${result.status === 'KILLED' ? 'Stopped' : 'Done'}: run ${run.info.runName}, val_accuracy ${formatNumber(run.data.metrics.val_accuracy)}.`;
  });
});

$('#sweep-button').addEventListener('click', () => {
  if (!trainForm.reportValidity()) return;
  const form = new FormData(trainForm);
  const config = readConfig(form);
  const experimentName = String(form.get('experiment') ?? '').trim() || 'iris';
  const rates = String(form.get('sweep') ?? '')
    .split(/[\s,;]+/)
    .map(Number)
    .filter((x) => Number.isFinite(x) && x > 0);
  if (rates.length === 0) {
    status.textContent = 'Sweep: give one or more learning rates, e.g. 0.01, 0.05, 0.2.';
    return;
  }
  void action('Sweep', async () => {
    const parent = await tracker.startRun({
      experimentName,
      ...(form.get('runName') ? { runName: String(form.get('runName')) } : {}),
      tags: { 'demo.sweep': 'learning_rate', dataset: 'iris' },
    });
    parent.logParams({
      sweep_param: 'learning_rate',
      sweep_values: rates.join(','),
      hidden: config.hidden,
      epochs: config.epochs,
      optimizer: config.optimizer,
      seed: config.seed,
    });
    let best: { runId: string; runName: string; value: number } | undefined;
    try {
      for (const [i, lr] of rates.entries()) {
        const result = await trainOne(
          experimentName,
          { ...config, learningRate: lr },
          {
            runName: `${parent.runName}-lr-${lr}`,
            parentRunId: parent.runId,
            logModels: form.get('logModels') !== null,
            label: `Sweep ${i + 1} of ${rates.length} (learning rate ${lr})`,
          },
        );
        const value = result.last?.val_accuracy ?? NaN;
        if (best === undefined || value > best.value)
          best = { runId: result.runId, runName: `${parent.runName}-lr-${lr}`, value };
        if (result.status === 'KILLED') break;
      }
      if (best) {
        parent.logMetric('best_val_accuracy', best.value);
        parent.setTags({ best_run_id: best.runId, best_learning_rate: best.runName.split('-lr-').pop() ?? '' });
      }
      await parent.end();
    } catch (error) {
      await parent.end({ status: 'FAILED' }).catch(() => undefined);
      throw error;
    }
    table.select(parent.runId);
    await detail.show(parent.runId, false);
    return `Sweep done: ${rates.length} child runs under ${parent.runName}; best ${best?.runName} (val_accuracy ${formatNumber(best?.value)}).`;
  });
});

$('#stop-button').addEventListener('click', () => trainer.stop());

const filterForm = $<HTMLFormElement>('#filter-form');
filterForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void table.setFilter($<HTMLInputElement>('#filter').value);
});
$('#filter-clear').addEventListener('click', () => {
  $<HTMLInputElement>('#filter').value = '';
  void table.setFilter('');
});
metricSelect.addEventListener('change', () => void updateChart());

tracker.onError((error) => (status.textContent = `Not stored: ${errorText(error)}`));

await table.refresh();
await predict.refreshModels();
await sync.start();
const linked = /^#run=([0-9a-f]{32})$/.exec(location.hash)?.[1];
if (linked && table.runs.some((r) => r.info.runId === linked)) await openRun(linked);
else await updateChart();
document.body.dataset.ready = 'true';

// Offline after the first visit: a service worker keeps the app, the library and onnxruntime-web.
// In variables, so the bundler leaves them alone (demo/build/ → demo/).
const SERVICE_WORKER = '../sw.js';
const APP_SCOPE = '../';
if ('serviceWorker' in navigator) {
  navigator.serviceWorker
    .register(new URL(SERVICE_WORKER, import.meta.url), { scope: new URL(APP_SCOPE, import.meta.url).pathname })
    .then(() => navigator.serviceWorker.ready)
    .then(() => (document.body.dataset.offline = 'ready'))
    .catch((error: unknown) => console.warn('offline cache unavailable:', errorText(error)));
}
