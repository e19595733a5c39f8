import { expect, test, watchErrors } from './fixtures.js';

test('the demo trains, lists, filters and charts runs using the public API', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors = watchErrors(page);
  await page.goto('/demo/');
  await expect(page.locator('body[data-ready=true]')).toBeVisible();
  await page.getByLabel('Epochs').fill('40');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#train-status')).toHaveText('Done.');
  await page.getByLabel('Learning rate').fill('0.05');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.locator('#runs tbody tr')).toHaveCount(2);
  await expect(page.locator('#chart polyline')).toHaveCount(2);
  await expect(page.locator('#history-caption')).toContainText('80 points');
  await page.getByLabel('Filter').fill("params.lr = '0.05'");
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#runs tbody tr')).toHaveCount(1);
  await page.getByLabel('Filter').fill('metrics.accuracy >>> 1');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#search-error')).toContainText('INVALID_PARAMETER_VALUE');
  // Keyboard: a run row is reachable and opens with Enter.
  await page.getByLabel('Filter').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#runs tbody tr').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#runs tbody tr[aria-selected=true]')).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('demo.png'), fullPage: true });
  await page.reload();
  await expect(page.locator('#runs tbody tr')).toHaveCount(2);
  expect(errors).toEqual([]);
  await page.close();
});
