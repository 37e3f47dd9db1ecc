/**
 * Screenshots of the app for a visual check (not a test): `npx tsx tests/browser/screenshot.ts`
 * writes /tmp/vidlet-empty.png, /tmp/vidlet-running.png and /tmp/vidlet-result.png.
 */
import { fillForm, startApp, waitForRunEnd } from './harness';

const app = await startApp();
try {
  const { page } = app;
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.screenshot({ path: '/tmp/vidlet-empty.png', fullPage: true });
  await fillForm(page, { prompt: 'a red ball bouncing on a blue background', steps: 12, seed: 7 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.waitForFunction(() => (window as any).vidlet.session.run.value.kind === 'running' && (window as any).vidlet.session.run.value.step.step >= 4, undefined, { timeout: 120_000 });
  await page.screenshot({ path: '/tmp/vidlet-running.png', fullPage: true });
  await waitForRunEnd(page);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: '/tmp/vidlet-result.png', fullPage: true });
} finally {
  await app.stop();
}
