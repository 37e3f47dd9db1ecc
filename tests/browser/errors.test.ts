/**
 * A failure is shown as a readable message with what to do, and the app stays usable: on a
 * fresh profile with the model URLs unreachable, Generate reports that the model could not be
 * downloaded; once the network is back, Generate works.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fillForm, playableVideo, startApp, waitForRunEnd, type App } from './harness';

let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

it('an unreachable model gives a readable error, and the app recovers', async () => {
  const { page, context } = app;
  await context.route('**/models/**', (route) => route.abort('internetdisconnected'));
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 1 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page, 120_000)).toBe('error');
  const alert = page.locator('vidlet-error-banner [role="alert"]');
  await alert.waitFor();
  const text = (await alert.textContent()) ?? '';
  // A title, the engine's detail and an action — not a stack trace or "[object Object]".
  expect(text).not.toMatch(/object Object|undefined|at .*\.js:\d+/);
  expect(text.length).toBeGreaterThan(40);
  console.log('error shown:', text.replace(/\s+/g, ' ').trim());
  // Usable again: the button is back to Generate.
  await page.getByRole('button', { name: 'Generate' }).waitFor();

  await context.unrouteAll();
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  await playableVideo(page);
  expect(await alert.count()).toBe(0);
});

it('"Delete cached model" frees the storage and the next Generate downloads it again', async () => {
  const { page } = app;
  const panel = page.locator('vidlet-model-panel');
  const button = panel.getByRole('button', { name: 'Delete cached model' });
  await button.waitFor();
  page.once('dialog', (dialog) => void dialog.accept());
  await button.click();
  // The model's files leave the cache (the panel shows "Deleting…" meanwhile).
  const cachedBytes = () =>
    page.evaluate(async () => {
      const w = window as unknown as { vidlet: { storage: { refresh(): Promise<void>; state: { value?: { models: { bytes: number }[] } } } } };
      await w.vidlet.storage.refresh();
      return w.vidlet.storage.state.value?.models.reduce((n, m) => n + m.bytes, 0) ?? 0;
    });
  await expect.poll(cachedBytes, { timeout: 30_000 }).toBe(0);
  await expect.poll(() => button.count(), { timeout: 10_000 }).toBe(0);
  expect(await panel.getByText('loads on first use').count()).toBe(1);

  const downloaded: string[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('.onnx') && r.ok()) downloaded.push(r.url());
  });
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 2 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  expect(downloaded.length).toBeGreaterThan(0);
});
