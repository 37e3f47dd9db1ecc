/**
 * Size presets on the page (docs/model-package.md "Presets"), in Chromium: the converted tiny Wan package
 * with two presets (tests/fixtures/wan-tiny-presets: random weights; default 9 frames of 32×32, "big" 13 frames
 * of 64×48) added to the model library by address. The form's size selector lists the manifest's presets
 * with the default chosen; picking the second makes a clip of its size, and the history entry records it.
 * Copies of it whose presets claim more attention scores than WebAssembly memory holds (src/package/attention-fit.ts;
 * headless Chromium runs on WebAssembly): one whose every size is too large is refused before download, one whose
 * default is too large starts on the size that fits and shows the other disabled with the reason.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { builtApp, fillForm, launchApp, siteWithPackage, useModelAt, waitForRunEnd, type App } from './harness';
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
  root = siteWithPackage('vidlet-presets-', PACKAGE, 'wan-tiny-presets');
  server = await startStaticServer(root);
  app = await launchApp(server.url);
  const { page } = app;

  // The embedded model has one size: no selector.
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).waitFor();
  expect(await page.getByRole('combobox', { name: 'Size and length' }).count()).toBe(0);

  await useModelAt(page, `${server.url}extra/wan-tiny-presets/`, DISPLAY_NAME, 'wan-tiny-presets');

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

/** The fixture at root/extra/<folder>, its presets' attentionScoresBytes replaced (by name), `video`'s kept equal to the default's. */
function withAttention(root: string, folder: string, bytes: Record<string, number>): string {
  const dir = join(root, 'extra', folder);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(PACKAGE)) if (f !== 'manifest.json') symlinkSync(join(PACKAGE, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'manifest.json'), 'utf8'));
  for (const size of manifest.presets.sizes) if (bytes[size.name] !== undefined) size.attentionScoresBytes = bytes[size.name];
  // `video` repeats the default preset's figure (the parser refuses two that differ)
  const preset = manifest.presets.sizes.find((s: { name: string }) => s.name === manifest.presets.default);
  if (manifest.video.attentionScoresBytes !== undefined) manifest.video.attentionScoresBytes = preset.attentionScoresBytes;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return `extra/${folder}/`;
}

it('refuses a package no size of which fits, and disables a size that does not fit, with the reason', { timeout: CASE_TIMEOUT }, async () => {
  root = mkdtempSync(join(tmpdir(), 'vidlet-presets-fit-'));
  const dist = builtApp();
  for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(root, entry));
  // 9 GB of scores for the CFG pair: 4.5 GB even at one pass, more than the 4.29 GB WebAssembly memory
  const none = withAttention(root, 'none-fits', { '9x32x32': 9e9, big: 9e9 });
  const bigOnly = withAttention(root, 'default-too-large', { '9x32x32': 9e9 });
  server = await startStaticServer(root);
  app = await launchApp(server.url);
  const { page } = app;
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).waitFor();
  const library = page.locator('vidlet-model-library');

  await library.getByRole('textbox', { name: 'Model address' }).fill(`${server.url}${none}`);
  await library.getByRole('button', { name: 'Check address' }).click();
  const refusal = library.locator('.candidate .refusal');
  await refusal.waitFor({ timeout: 60_000 });
  expect(await refusal.textContent()).toMatch(
    /^Cannot add Wan tiny presets \(random weights\): No size it offers fits this device, even with one pass per step \(guidance 1\): its smallest, 9x32x32 \(9 frames of 32×32\) needs 4\.50 GB in one buffer .* WebAssembly memory has only 4\.29 GB left/,
  );
  expect(await library.getByRole('button', { name: 'Add model' }).count()).toBe(0);
  await library.getByRole('button', { name: 'Close' }).click();

  await useModelAt(page, `${server.url}${bigOnly}`, DISPLAY_NAME, 'wan-tiny-presets');
  const size = page.getByRole('combobox', { name: 'Size and length' });
  await size.waitFor();
  const options = await size.locator('option').evaluateAll((os) =>
    os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent!.trim(), disabled: (o as HTMLOptionElement).disabled, title: o.getAttribute('title') })));
  expect(options[0]).toMatchObject({ value: '9x32x32', text: '9x32x32: 9 frames of 32×32 (default) (too large for this device)', disabled: true });
  expect(options[0]!.title).toMatch(/^9x32x32 \(9 frames of 32×32\) needs 9\.00 GB in one buffer for one attention step \(its scores, 2 passes per step\), but the 4\.29 GB WebAssembly memory .*; choose a smaller size$/);
  expect(options[1]).toMatchObject({ value: 'big', text: 'big: 13 frames of 64×48', disabled: false });
  // the default does not fit, so the form starts on the one that does
  expect(await size.inputValue()).toBe('big');
});

