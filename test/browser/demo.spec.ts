import type { Page } from '@playwright/test';
import { expect, test, watchErrors } from './fixtures.js';

// The demo workbench (demo/, served as npm start serves it), end to end in
// Chromium with no server: train in a worker, runs and chart, models in two
// flavors, predict through the signature form, sweep, filter, sort,
// keyboard, reload, offline reload. Any console error fails a test.

async function openDemo(page: Page): Promise<void> {
  await page.goto('/demo/');
  await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 20_000 });
}

async function train(page: Page, fields: Record<string, string>, button = 'Train'): Promise<void> {
  for (const [label, value] of Object.entries(fields))
    await page.getByLabel(label, { exact: false }).first().fill(value);
  const before = Number((await page.locator('body').getAttribute('data-trained')) ?? 0);
  await page.getByRole('button', { name: button, exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-trained', String(before + 1), { timeout: 30_000 });
}

const rows = (page: Page) => page.locator('#runs-table tbody tr[data-run-id]');

test('train, chart, both model flavors, predict with signature errors, filter, sort, keyboard, reload', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await openDemo(page);
  await expect(rows(page)).toHaveCount(0);

  // Train slowly enough to see the chart grow while the run is RUNNING.
  await page.getByLabel('Epochs').fill('50');
  await page.getByLabel('Slow motion').fill('40');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.locator('body[data-training=true]')).toBeAttached();
  await expect.poll(async () => Number(await page.locator('#chart').getAttribute('data-points'))).toBeGreaterThan(3);
  await expect(rows(page).first().locator('.status')).toHaveText('RUNNING');
  expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBeLessThan(50);
  await expect(page.locator('body')).toHaveAttribute('data-trained', '1', { timeout: 30_000 });
  await expect(page.locator('#train-status')).toContainText('Done');

  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().locator('.status')).toHaveText('FINISHED');
  await expect(page.locator('#chart')).toHaveAttribute('data-points', '50');
  await expect(page.locator('#chart')).toHaveAttribute('data-metric', 'val_accuracy');
  await expect(page.locator('#chart canvas')).toHaveCount(1);
  await page.locator('#chart-section').screenshot({ path: test.info().outputPath('chart.png') });

  // The run panel: params, tags, metrics and artifacts (both models among them).
  const detail = page.locator('#run-detail');
  await expect(page.locator('#run-section')).toBeVisible();
  await expect(detail.locator('table[data-kind=params]')).toContainText('learning_rate');
  await expect(detail.locator('table[data-kind=tags]')).toContainText('mlflow.runName');
  await expect(detail.locator('table[data-kind=metrics]')).toContainText('val_accuracy');
  for (const path of [
    'iris_onnx/MLmodel',
    'iris_onnx/model.onnx',
    'iris_onnx/input_example.json',
    'iris_js/MLmodel',
    'iris_js/model.js',
    'confusion_matrix.png',
    'weights.json',
  ]) {
    await expect(detail.locator(`li[data-path="${path}"]`)).toHaveCount(1);
  }
  await detail.getByRole('button', { name: 'Preview iris_onnx/MLmodel' }).click();
  await expect(detail.locator('.preview pre')).toContainText('onnx:');
  await expect(detail.locator('.preview pre')).toContainText('"name": "sepal_length"');
  await detail.getByRole('button', { name: 'Preview confusion_matrix.json' }).click();
  await expect(detail.locator('.preview pre')).toContainText('"matrix"');
  await detail.getByRole('button', { name: 'Preview confusion_matrix.png' }).click();
  await expect
    .poll(() => detail.locator('.preview img').evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(100);
  const download = page.waitForEvent('download');
  await detail.getByRole('button', { name: 'Download weights.json' }).click();
  expect((await download).suggestedFilename()).toBe('weights.json');
  await page.screenshot({ path: test.info().outputPath('run.png'), fullPage: true });

  // Predict with each flavor through the form built from the signature.
  const options = page.locator('#model-select option');
  await expect(options).toHaveCount(2);
  for (const [name, flavor] of [
    ['iris_onnx', 'onnx'],
    ['iris_js', 'mlflow_edge_js'],
  ] as const) {
    await page.getByLabel('Logged model').selectOption({
      label: `${await rows(page).first().locator('td.name').innerText()} / ${name}`.replace(/^\s+/, ''),
    });
    await page.getByRole('button', { name: 'Load model' }).click();
    await expect(page.locator('#loaded-model-flavor')).toHaveText(flavor);
    for (const [field, value] of Object.entries({
      sepal_length: '5.1',
      sepal_width: '3.5',
      petal_length: '1.4',
      petal_width: '0.2',
    })) {
      await page.getByLabel(`${field} (double)`).fill(value);
    }
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    await expect(page.locator('#predicted-species')).toHaveText('setosa');
    await page.getByLabel('petal_length (double)').fill('6.0');
    await page.getByLabel('petal_width (double)').fill('2.3');
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    await expect(page.locator('#predicted-species')).toHaveText('virginica');
    // A value the signature refuses: the library's typed error, next to that field.
    await page.getByLabel('sepal_width (double)').fill('wide');
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    await expect(page.locator('#error-sepal_width')).toContainText('INVALID_PARAMETER_VALUE');
    await expect(page.locator('#field-sepal_width')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#error-sepal_length')).toHaveText('');
    await expect(page.locator('#predict-output')).toBeEmpty();
  }
  await page.locator('#predict-section').screenshot({ path: test.info().outputPath('predict.png') });

  // A second run, then filter (MLflow syntax, typed error for a bad one) and sort.
  await train(page, { 'Hidden units': '0', 'Learning rate': '0.2', 'Slow motion': '0', Epochs: '30' });
  await expect(rows(page)).toHaveCount(2);
  await page.getByLabel('Filter (MLflow syntax)').fill("params.hidden = '0' AND metrics.val_accuracy >= 0");
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('softmax_regression');
  await page.getByLabel('Filter (MLflow syntax)').fill('metrics.accuracy >>> 1');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#filter-error')).toContainText('INVALID_PARAMETER_VALUE');
  await expect(rows(page)).toHaveCount(1);
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(rows(page)).toHaveCount(2);
  await expect(page.locator('#filter-error')).toBeEmpty();

  const sortBy = async (column: string, direction: 'ascending' | 'descending') => {
    const th = page.locator(`#runs-table th[data-column=${column}]`);
    for (let i = 0; i < 2 && (await th.getAttribute('aria-sort')) !== direction; i++)
      await th.getByRole('button').click();
    await expect(th).toHaveAttribute('aria-sort', direction);
  };
  await sortBy('hidden', 'ascending');
  await expect(rows(page).nth(0).locator('td').nth(5)).toHaveText('0');
  await sortBy('hidden', 'descending');
  await expect(rows(page).nth(0).locator('td').nth(5)).toHaveText('8');

  // Overlay both runs on the chart.
  for (const box of await page.getByRole('checkbox', { name: /^Compare / }).all()) await box.check();
  await expect(page.locator('#chart')).toHaveAttribute('data-series', '2');
  await expect(page.locator('#chart')).toHaveAttribute('data-points', '80');

  // Keyboard: rows are focusable and Enter opens one; focus is visible.
  await rows(page).nth(1).focus();
  await page.keyboard.press('Enter');
  await expect(rows(page).nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#run-title')).toBeFocused();
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');

  // Nothing is wider than a phone screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('workbench-390px.png'), fullPage: true });

  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await expect(rows(page)).toHaveCount(2);
  await expect(page.locator('#run-section')).toBeVisible(); // the #run= link reopens the run
  expect(errors).toEqual([]);
  await context.close();
});

test('a sweep logs a parent run with its child runs nested under it', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await openDemo(page);
  await page.getByLabel('Run name').fill('lr-sweep');
  await train(page, { 'Slow motion': '0', Epochs: '40', 'Sweep learning rates': '0.01, 0.1, 0.3' }, 'Sweep');
  await expect(page.locator('#train-status')).toContainText('Sweep done: 3 child runs under lr-sweep');
  await expect(rows(page)).toHaveCount(4);
  const parent = rows(page).nth(0);
  await expect(parent).toHaveAttribute('data-depth', '0');
  await expect(parent.locator('td.name')).toContainText('lr-sweep (3 child runs)');
  const parentId = await parent.getAttribute('data-run-id');
  for (let i = 1; i <= 3; i++) {
    await expect(rows(page).nth(i)).toHaveAttribute('data-depth', '1');
    await expect(rows(page).nth(i)).toHaveAttribute('data-parent-run-id', parentId!);
  }
  // The parent records the best child; the chart overlaid the three children live.
  await expect(page.locator('#run-detail table[data-kind=tags]')).toContainText('best_run_id');
  await expect(page.locator('#run-detail table[data-kind=metrics]')).toContainText('best_val_accuracy');
  // Children keep their place under the parent whatever the sort.
  await page.locator('#runs-table th[data-column=val_accuracy] button').click();
  await expect(rows(page).nth(0)).toHaveAttribute('data-run-id', parentId!);
  await expect(rows(page).nth(0)).toHaveAttribute('data-depth', '0');
  // A filter on the parent tag finds the children through MLflow's syntax.
  await page.getByLabel('Filter (MLflow syntax)').fill(`tags.mlflow.parentRunId = '${parentId}'`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows(page)).toHaveCount(3);
  await page.screenshot({ path: test.info().outputPath('sweep.png'), fullPage: true });
  expect(errors).toEqual([]);
  await context.close();
});

test('works offline after the first load: reload, train, log models and predict with ONNX', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = watchErrors(page, [/net::ERR_INTERNET_DISCONNECTED/, /Failed to load resource/]);
  await openDemo(page);
  await train(page, { 'Slow motion': '0', Epochs: '20' });
  await expect(page.locator('body[data-offline=ready]')).toBeAttached({ timeout: 60_000 });
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 20_000 });
  await expect(page.locator('#net-badge')).toHaveText('offline');
  await expect(rows(page)).toHaveCount(1);
  await train(page, { 'Slow motion': '0', Epochs: '20', 'Hidden units': '4' });
  await expect(rows(page)).toHaveCount(2);
  await expect(page.locator('#model-select option')).toHaveCount(4);
  await page.getByLabel('Logged model').selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.locator('#loaded-model-flavor')).toHaveText('onnx', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await expect(page.locator('#predicted-species')).toHaveText(/setosa|versicolor|virginica/);
  await page.screenshot({ path: test.info().outputPath('offline.png'), fullPage: true });
  await context.setOffline(false);
  expect(errors).toEqual([]);
  await context.close();
});
