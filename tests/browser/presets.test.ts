/**
 * Size presets on the page (docs/model-package.md "Presets"), in Chromium: the converted tiny Wan package
 * with two presets (tests/fixtures/wan-tiny-presets: random weights; default 9 frames of 32×32, "big" 13 frames
 * of 64×48) added to the model library by address. The form's size selector lists the manifest's presets
 * with the default chosen; picking the second makes a clip of its size, and the history entry records it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { builtApp, fillForm, launchApp, waitForRunEnd, type App } from './harness';
import { startStaticServer, type StaticServer } from './static-server';

const PACKAGE = resolve(import.meta.dirname, '../fixtures/wan-tiny-presets');
const DISPLAY_NAME = 'Wan tiny presets (random weights)';
const CASE_TIMEOUT = 600_000;

let server: StaticServer | undefined;
let app: App | undefined;
let root: string | undefined;

afterEach(async () => {
  await app?.stop();
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  app = server = root = undefined;
});

it('offers the model’s presets and makes a clip of the one picked', { timeout: CASE_TIMEOUT }, async () => {
  root = mkdtempSync(join(tmpdir(), 'vidlet-presets-'));
  const dist = builtApp();
  for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(root, entry));
  mkdirSync(join(root, 'extra'));
  symlinkSync(PACKAGE, join(root, 'extra', 'wan-tiny-presets'));
  server = await startStaticServer(root);
  app = await launchApp(server.url);
  const { page } = app;

  // The embedded model has one size: no selector.
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).waitFor();
  expect(await page.getByRole('combobox', { name: 'Size and length' }).count()).toBe(0);

  const library = page.locator('vidlet-model-library');
  await library.getByRole('textbox', { name: 'Model address' }).fill(`${server.url}extra/wan-tiny-presets/`);
  await library.getByRole('button', { name: 'Check address' }).click();
  await library.locator('.candidate').waitFor({ timeout: 60_000 });
  await library.getByRole('button', { name: 'Add model' }).click();
  await library.getByRole('button', { name: `Use ${DISPLAY_NAME}` }).click();
  await page.waitForFunction(
    () => {
      const m = (window as unknown as { vidlet: { session: { model: { value: { kind: string; info?: { name: string } } } } } }).vidlet.session.model.value;
      return (m.kind === 'ready' && m.info?.name === 'wan-tiny-presets') || m.kind === 'error';
    },
    undefined,
    { timeout: 300_000, polling: 250 },
  );

  const size = page.getByRole('combobox', { name: 'Size and length' });
  await size.waitFor();
  const options = await size.locator('option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent!.trim()]));
  expect(options).toEqual([
    ['9x32x32', '9x32x32: 9 frames of 32×32 (default)'],
    ['big', 'big: 13 frames of 64×48'],
  ]);
  expect(await size.inputValue()).toBe('9x32x32');

  // The decoded-frames progress counts the preset's frames ("Decoding frames a–b of 13"), not the default's 9.
  await page.evaluate(() => {
    type W = { vidlet: { session: { run: { subscribe(f: (s: { decoded?: { total: number } }) => void): void } } }; __totals: number[] };
    const w = window as unknown as W;
    w.__totals = [];
    w.vidlet.session.run.subscribe((s) => {
      if (s.decoded) w.__totals.push(s.decoded.total);
    });
  });
  await size.selectOption('big');
  await fillForm(page, { prompt: 'a red ball on the beach', steps: 2, seed: 3 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  const entry = await page.evaluate(() => {
    const w = window as unknown as { vidlet: { session: { run: { value: { entry: { video: { frames: number; width: number; height: number }; settings: { preset?: string } } } } } } };
    const { video, settings } = w.vidlet.session.run.value.entry;
    return { frames: video.frames, width: video.width, height: video.height, preset: settings.preset };
  });
  expect(entry).toEqual({ frames: 13, width: 64, height: 48, preset: 'big' });
  const totals = await page.evaluate(() => (window as unknown as { __totals: number[] }).__totals);
  expect(totals.length).toBeGreaterThan(0);
  expect(new Set(totals)).toEqual(new Set([13]));
  await expect.poll(() => page.locator('vidlet-history-list .entry .preset').first().textContent()).toBe('size big');
});
