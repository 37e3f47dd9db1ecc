/**
 * Screenshots of the app for a visual check (not a test): `npx tsx tests/browser/screenshot.ts`
 * writes /tmp/vidlet-{empty,loading,running,result,compare}.png.
 */
import { fillForm, startApp, waitForRunEnd } from './harness';

type Win = { vidlet: { session: { run: { value: { kind: string; step?: { step: number } } }; model: { value: { kind: string; progress?: { phase: string } } } } } };

const app = await startApp();
try {
  const { page } = app;
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.screenshot({ path: '/tmp/vidlet-empty.png', fullPage: true });
  await fillForm(page, { prompt: 'a red ball bouncing on a blue background', steps: 12, seed: 7 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await page
    .waitForFunction(() => (window as unknown as Win).vidlet.session.model.value.progress?.phase === 'download', undefined, { timeout: 20_000, polling: 20 })
    .then(() => page.screenshot({ path: '/tmp/vidlet-loading.png', fullPage: true }))
    .catch(() => console.log('download phase too short to capture'));
  await page.waitForFunction(() => ((window as unknown as Win).vidlet.session.run.value.step?.step ?? 0) >= 4, undefined, { timeout: 120_000 });
  await page.screenshot({ path: '/tmp/vidlet-running.png', fullPage: true });
  await waitForRunEnd(page);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: '/tmp/vidlet-result.png', fullPage: true });
  await fillForm(page, { prompt: 'a yellow star spinning, camera zooms in', steps: 6, seed: 8 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForRunEnd(page);
  await page.locator('vidlet-history-list li.entry').nth(1).getByRole('button', { name: 'Compare' }).click();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: '/tmp/vidlet-compare.png', fullPage: true });
} finally {
  await app.stop();
}
