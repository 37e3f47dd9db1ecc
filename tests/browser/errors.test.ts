/**
 * A failure or a bad input is shown as a message that says what went wrong — which file, which
 * field — and what to do, and it loses nothing: what was typed stays, finished downloads stay,
 * and the app works again once the cause is gone. Each case runs on its own empty profile.
 * The texts checked here are the app's own: src/app/data/user-error.ts (title and action),
 * src/store/errors.ts and download.ts (the detail), src/app/data/generation-settings.ts (form)
 * and src/app/data/restore-refusal.ts (dropped files).
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { dropFile, fillForm, playableVideo, runState, startServer, waitForRunEnd, type App, type Server } from './harness';

/** Each case may download the model into its fresh profile and generate: minutes on a busy machine. */
const CASE_TIMEOUT = 900_000;

let server: Server;
let app: App;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  app = await server.launch();
});

afterEach(async () => {
  await app?.stop();
});

/** The run's error banner, read part by part once it is shown. */
async function errorBanner(page: Page) {
  const banner = page.locator('vidlet-error-banner [role="alert"]');
  await banner.waitFor();
  const part = async (selector: string) => ((await banner.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const shown = { title: await part('strong'), detail: await part('.detail'), action: await part('.action') };
  console.log('error shown:', JSON.stringify(shown));
  // Sentences for people, not a stack trace or a serialised object.
  for (const text of Object.values(shown)) expect(text).not.toMatch(/object Object|undefined|at .*\.js:\d+/);
  return shown;
}

/** Paths (under /models/) of the .onnx files the page downloads from now on. */
function recordOnnxDownloads(page: Page): string[] {
  const fetched: string[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('.onnx') && r.ok()) fetched.push(new URL(r.url()).pathname.replace(/^.*\/models\/[^/]+\//, ''));
  });
  return fetched;
}

const modelBase = () => new URL('models/vidlet-tiny/', app.url).href;

it('an unreachable model names the file it could not read and says to check the connection; then the app recovers', { timeout: CASE_TIMEOUT }, async () => {
  const { page, context } = app;
  await context.route('**/models/**', (route) => route.abort('internetdisconnected'));
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 1 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page, 120_000)).toBe('error');
  const shown = await errorBanner(page);
  expect(shown.title).toBe('The model could not be downloaded');
  // Which file, from where, and why nothing could stand in for it.
  expect(shown.detail).toContain(`Cannot read manifest.json from ${modelBase()}manifest.json`);
  expect(shown.detail).toContain('no copy is saved in this browser');
  // What to do.
  expect(shown.action).toBe('Check your connection and press Generate to retry; finished files are kept.');
  // Usable again: the button is back to Generate, and the form kept what was typed.
  await page.getByRole('button', { name: 'Generate' }).waitFor();
  await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe('a red ball');

  await context.unrouteAll();
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  await playableVideo(page);
  expect(await page.locator('vidlet-error-banner').count()).toBe(0);
});

it('a connection lost in the middle of the model names the file that failed, and the files already downloaded are kept', { timeout: CASE_TIMEOUT }, async () => {
  const { page, context } = app;
  // The text encoder comes first (src/engine/engine.ts RUNTIME_COMPONENTS), then the denoiser: cut the denoiser.
  await context.route(/\/models\/.*denoiser[^/]*\.onnx$/, (route) => route.abort('internetdisconnected'));
  const fetched = recordOnnxDownloads(page);
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 1 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('error');
  const shown = await errorBanner(page);
  expect(shown.title).toBe('The model could not be downloaded');
  const denoiser = /Cannot read (denoiser(?:\.int8)?\.onnx) from /.exec(shown.detail)?.[1];
  expect(denoiser, `the detail does not name the denoiser file: ${shown.detail}`).toBeDefined();
  expect(shown.detail).toContain(`from ${modelBase()}${denoiser}`);
  expect(shown.detail).toMatch(/gave up after \d+ tries at 0 of \d+ bytes; check the connection and try again/);
  expect(shown.action).toBe('Check your connection and press Generate to retry; finished files are kept.');
  const before = [...fetched];
  expect(before.some((p) => p.startsWith('text_encoder')), `text encoder not downloaded before the cut: ${before}`).toBe(true);

  // "Finished files are kept": with the connection back, the text encoder is not downloaded again.
  await context.unrouteAll();
  fetched.length = 0;
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  await playableVideo(page);
  expect(fetched).toContain(denoiser);
  expect(fetched.filter((p) => p.startsWith('text_encoder'))).toEqual([]);
});

it('bad settings are named in the form with their allowed values, start nothing, and keep what was typed', { timeout: CASE_TIMEOUT }, async () => {
  const { page } = app;
  const prompt = page.getByRole('textbox', { name: 'Prompt', exact: true });
  const steps = page.getByRole('spinbutton', { name: 'Steps' });
  const guidance = page.getByRole('spinbutton', { name: 'Guidance', exact: true });
  await fillForm(page, { prompt: '   ', steps: 500, seed: 3 });
  await guidance.fill('0');
  await prompt.focus(); // number inputs commit on change
  await page.getByRole('button', { name: 'Generate' }).click();

  const problems = page.locator('vidlet-prompt-form ul.problems[role="alert"] li');
  await problems.first().waitFor();
  expect(await problems.allTextContents()).toEqual([
    'Describe the clip you want in the prompt.',
    'Steps must be a whole number from 1 to 200.',
    'Guidance scale must be a number from 1 to 30 (1 = no text guidance).',
  ]);
  await expect(prompt.getAttribute('aria-invalid')).resolves.toBe('true');
  // Nothing started, nothing was thrown away.
  expect(await runState(page)).toBe('idle');
  expect(await page.locator('vidlet-history-list li.entry').count()).toBe(0);
  await expect(steps.inputValue()).resolves.toBe('500');
  await expect(guidance.inputValue()).resolves.toBe('0');
  await expect(page.getByRole('spinbutton', { name: 'Seed' }).inputValue()).resolves.toBe('3');

  // Fixing a field takes its message away; the others stay until they are fixed too.
  await prompt.fill('a red ball');
  await expect.poll(() => problems.allTextContents()).toEqual([
    'Steps must be a whole number from 1 to 200.',
    'Guidance scale must be a number from 1 to 30 (1 = no text guidance).',
  ]);
  await steps.fill('2');
  await guidance.fill('5');
  await prompt.focus();
  await expect.poll(() => problems.count()).toBe(0);
  await expect(prompt.getAttribute('aria-invalid')).resolves.toBe('false');
  expect(await runState(page)).toBe('idle');
});

it('a dropped file that is no Vidlet export is refused by name with what to drop instead, and the settings stay', { timeout: CASE_TIMEOUT }, async () => {
  const { page } = app;
  await fillForm(page, { prompt: 'my own prompt', steps: 4, seed: 42 });
  const notice = page.locator('vidlet-prompt-form .notice.error[role="status"]');
  const drop = async (name: string, bytes: number[]) => {
    await dropFile(page, name, bytes);
    await notice.filter({ hasText: `"${name}"` }).waitFor({ timeout: 15_000 });
    return ((await notice.textContent()) ?? '').trim();
  };
  const unchanged = async () => {
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe('my own prompt');
    await expect(page.getByRole('spinbutton', { name: 'Steps' }).inputValue()).resolves.toBe('4');
    await expect(page.getByRole('spinbutton', { name: 'Seed' }).inputValue()).resolves.toBe('42');
  };
  const advice = ' Drop an MP4, WebM, GIF or PNG zip exported by Vidlet to restore its settings. Your current settings are unchanged.';

  expect(await drop('notes.bin', [1, 2, 3, 4, 5, 6, 7, 8])).toBe(
    `No settings restored from "notes.bin": it is not an MP4, WebM, GIF or zip, so it cannot hold Vidlet settings.${advice}`,
  );
  await unchanged();

  // A real GIF (1×1, no comment block) that Vidlet did not make.
  const gif = [...Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')];
  expect(await drop('cat.gif', gif)).toBe(
    `No settings restored from "cat.gif": this GIF was not made by Vidlet: it has no Vidlet settings comment, so there is nothing to restore.${advice}`,
  );
  await unchanged();
});

it('"Delete cached model" frees the storage and the next Generate downloads it again', { timeout: CASE_TIMEOUT }, async () => {
  const { page } = app;
  // A model to delete: the first Generate of this profile downloads and keeps it.
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 1 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');

  const panel = page.locator('vidlet-model-panel');
  // The page asked for persistent storage once the model was stored, and says what the browser answered.
  const persistence = async () => ((await panel.locator('.persistence').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  await expect.poll(persistence, { timeout: 10_000 }).toMatch(
    /Persistent storage (granted\. The browser keeps the cached model|not granted\. Without it the browser may delete the cached model)/,
  );
  const button = panel.getByRole('button', { name: 'Delete cached model' });
  await button.waitFor();
  const cachedBytes = () =>
    page.evaluate(async () => {
      const w = window as unknown as { vidlet: { storage: { refresh(): Promise<void>; state: { value?: { models: { bytes: number }[] } } } } };
      await w.vidlet.storage.refresh();
      return w.vidlet.storage.state.value?.models.reduce((n, m) => n + m.bytes, 0) ?? 0;
    });
  expect(await cachedBytes()).toBeGreaterThan(0);
  page.once('dialog', (dialog) => void dialog.accept());
  await button.click();
  // The model's files leave the cache (the panel shows "Deleting…" meanwhile).
  await expect.poll(cachedBytes, { timeout: 30_000 }).toBe(0);
  await expect.poll(() => button.count(), { timeout: 10_000 }).toBe(0);
  expect(await panel.getByText('loads on first use').count()).toBe(1);

  const downloaded = recordOnnxDownloads(page);
  await fillForm(page, { prompt: 'a red ball', steps: 2, seed: 2 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  expect(downloaded.length).toBeGreaterThan(0);
});
