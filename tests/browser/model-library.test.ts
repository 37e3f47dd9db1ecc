/**
 * The model library (#11) in Chromium, on the built app served by the plain static server with
 * a second model package beside it: a copy of public/models/vidlet-tiny (its files linked, not
 * copied) whose manifest has another `name` and `displayName` and every file entry untouched.
 * (1) Adding by address: a folder without manifest.json is refused with a message and nothing is
 *     added; the copy's address shows its name and download size, is added and listed with that
 *     size, made active (its weights download from its own address), generates a clip recorded as
 *     its own, is still listed and active after a reload (loaded from the cache), and once removed
 *     its cached files are gone and the history says the clip was made by a model not installed.
 * (2) Adding a folder: the copy picked through the <input webkitdirectory> is stored in the
 *     model cache with every file hashed, then becomes active and generates without fetching a
 *     single file of it (a folder's package has no address).
 * Each case on its own profile; 2 steps per generation (nothing here is about the picture).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import { formatBytes } from '../../src/app/data/format-units';
import { builtApp, fillForm, launchApp, waitForRunEnd, type App } from './harness';
import { startStaticServer, type StaticServer } from './static-server';

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = join(ROOT, 'public/models/vidlet-tiny');
/** A model download and a generation (or two) on 2 busy cores. */
const CASE_TIMEOUT = 900_000;

let server: StaticServer | undefined;
let app: App | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await app?.stop();
  await server?.stop();
  app = server = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Real files under `dst` for every file under `src`: hard links where possible (no 150 MB copy), else copies. */
function linkTree(src: string, dst: string) {
  mkdirSync(dst, { recursive: true });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    if (entry.isDirectory()) linkTree(join(src, entry.name), join(dst, entry.name));
    else {
      try {
        linkSync(join(src, entry.name), join(dst, entry.name));
      } catch {
        copyFileSync(join(src, entry.name), join(dst, entry.name));
      }
    }
  }
}

/**
 * `dir` holding vidlet-tiny's files and its manifest with `name` / `displayName` replaced. Served
 * copies are symbolic links; a folder to pick holds real files (`real`), since a picked folder's
 * symbolic links are skipped when Playwright lists it.
 */
function packageCopy(dir: string, name: string, displayName: string, real = false): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  if (real) linkTree(TINY, dir);
  else for (const entry of readdirSync(TINY)) if (entry !== 'manifest.json') symlinkSync(join(TINY, entry), join(dir, entry));
  rmSync(join(dir, 'manifest.json'), { force: true }); // a hard link to the original: never write through it
  const manifest = { ...JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')), name, displayName };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The built app with a model copy at /extra/<name>/: a temp root of links, served statically. */
async function serveWithCopy(name: string, displayName: string) {
  const root = mkdtempSync(join(tmpdir(), 'vidlet-library-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dist = builtApp();
  for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(root, entry));
  const manifest = packageCopy(join(root, 'extra', name), name, displayName);
  server = await startStaticServer(root);
  app = await launchApp(server.url);
  return { root, manifest, page: app.page, url: `${server.url}extra/${name}/` };
}

type W = {
  vidlet: {
    session: { model: { value: { kind: string; info?: { name: string; bytes: number } } }; source: { base: string } };
    storage: { refresh(): Promise<void>; state: { value?: { models: { name: string; bytes: number; completeFiles: number }[] } } };
    history: { entries: { value: { model: string }[] } };
    library: { models: { id: string }[]; active: { id: string } };
  };
};

async function waitForModel(page: Page, name: string) {
  await page.waitForFunction(
    (name) => {
      const m = (window as unknown as W).vidlet.session.model.value;
      return m.kind === 'ready' && m.info?.name === name;
    },
    name,
    { timeout: 600_000, polling: 500 },
  );
}

async function cachedModels(page: Page) {
  return page.evaluate(async () => {
    const s = (window as unknown as W).vidlet.storage;
    await s.refresh();
    return s.state.value?.models.map((m) => ({ name: m.name, completeFiles: m.completeFiles })) ?? [];
  });
}

const library = (page: Page) => page.locator('vidlet-model-library');
const rows = async (page: Page) => library(page).locator('li[data-model]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.model));

/** Every graph a generation may run: a scene denoiser loads with the model, so a plan works offline too. */
function loadGraphs(manifest: Record<string, unknown>): string[] {
  return ['textEncoder', 'denoiser', 'previewDecoder', 'vaeDecoder', ...((manifest.components as Record<string, unknown>).sceneDenoiser ? ['sceneDenoiser'] : [])];
}

/** Bytes the page downloads of `manifest` on this device: the variants its load plan chose (int8 on wasm, else fp32). */
function loadBytes(manifest: Record<string, unknown>, variant: string): number {
  const components = manifest.components as Record<string, { variants: Record<string, { files: { bytes: number }[] }> }>;
  return loadGraphs(manifest).reduce((n, c) => n + components[c]!.variants[variant]!.files.reduce((m, f) => m + f.bytes, 0), 0);
}

async function generate(page: Page, seed: number) {
  await fillForm(page, { prompt: 'a red ball bouncing on a blue background', steps: 2, seed });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
}

it('(1) adds a model by address (refusing a folder without a manifest), uses it, keeps it over a reload, and removes it', { timeout: CASE_TIMEOUT }, async () => {
  const { page, manifest, url } = await serveWithCopy('vidlet-copy', 'Vidlet copy');
  const address = library(page).getByRole('textbox', { name: 'Model address' });
  const check = library(page).getByRole('button', { name: 'Check address' });

  // A folder with no manifest.json: a message naming the address and the status; nothing added.
  await address.fill(`${server!.url}extra/nowhere/`);
  await check.click();
  const refusal = library(page).locator('.library-problem');
  await refusal.waitFor();
  expect(await refusal.textContent()).toBe(
    `${server!.url}extra/nowhere/manifest.json answered HTTP 404 Not Found: there is no model package there. Give the address of the folder that holds manifest.json.`,
  );
  expect(await rows(page)).toEqual(['vidlet-tiny']);
  expect(await page.evaluate(() => localStorage.getItem('vidlet.models.v1'))).toBeNull();

  // The copy: its name and download size before anything else is fetched.
  const fetched: string[] = [];
  page.on('response', (r) => {
    if (r.ok() && new URL(r.url()).pathname.startsWith('/extra/vidlet-copy/')) fetched.push(new URL(r.url()).pathname.slice('/extra/vidlet-copy/'.length));
  });
  await address.fill(url);
  await check.click();
  const candidate = library(page).locator('.candidate');
  await candidate.waitFor();
  expect(await candidate.locator('.candidate-name').textContent()).toBe('Vidlet copy');
  const sizeText = (await candidate.locator('.candidate-size').textContent())!.replace(/\s+/g, ' ');
  const variant = /denoiser (int8|fp32)/.exec(sizeText)?.[1];
  expect(variant, sizeText).toBeDefined();
  const size = formatBytes(loadBytes(manifest, variant!));
  expect(sizeText).toContain(`Download: ${size}`);
  expect(fetched).toEqual(['manifest.json']);

  await library(page).getByRole('button', { name: 'Add model' }).click();
  await expect.poll(() => rows(page)).toEqual(['vidlet-tiny', 'vidlet-copy']);
  expect(await library(page).locator('li[data-model="vidlet-copy"] .size').textContent()).toBe(size);
  expect(fetched).toEqual(['manifest.json']); // listed, not downloaded

  // Use it: its weights come from its own address, and the clip is recorded as its.
  await library(page).getByRole('button', { name: 'Use Vidlet copy' }).click();
  await waitForModel(page, 'vidlet-copy');
  expect(fetched.filter((p) => p.endsWith('.onnx')).length).toBe(loadGraphs(manifest).length);
  // The size shown before adding is what the load then read (the same variant rule).
  expect(await page.evaluate(() => (window as unknown as W).vidlet.session.model.value.info?.bytes)).toBe(loadBytes(manifest, variant!));
  expect(await library(page).locator('li.active').getAttribute('data-model')).toBe('vidlet-copy');
  await generate(page, 5);
  expect(await page.evaluate(() => (window as unknown as W).vidlet.history.entries.value.map((e) => e.model))).toEqual(['vidlet-copy']);
  // The active model made it: the history says nothing about the model.
  expect(await page.locator('vidlet-history-list .made-with').count()).toBe(0);

  // A reload keeps the library and the choice, and loads the model from the cache at start-up.
  await page.reload();
  await page.waitForFunction(() => 'vidlet' in window);
  expect(await rows(page)).toEqual(['vidlet-tiny', 'vidlet-copy']);
  expect(await library(page).locator('li.active').getAttribute('data-model')).toBe('vidlet-copy');
  await waitForModel(page, 'vidlet-copy');
  expect(await page.evaluate(() => (window as unknown as W).vidlet.session.source.base)).toBe(url);

  // Remove it: its cached files go, the embedded model is active again, the clip says which model made it.
  expect((await cachedModels(page)).map((m) => m.name)).toContain('vidlet-copy');
  page.once('dialog', (d) => void d.accept());
  await library(page).getByRole('button', { name: 'Remove Vidlet copy' }).click();
  await expect.poll(() => rows(page)).toEqual(['vidlet-tiny']);
  expect((await cachedModels(page)).map((m) => m.name)).not.toContain('vidlet-copy');
  expect(await page.evaluate(() => (window as unknown as W).vidlet.library.active.id)).toBe('vidlet-tiny');
  await page.locator('vidlet-history-list .made-with').waitFor();
  expect(await page.locator('vidlet-history-list .made-with').textContent()).toBe('Made with vidlet-copy (not installed)');
  await page.reload();
  await page.waitForFunction(() => 'vidlet' in window);
  expect(await rows(page)).toEqual(['vidlet-tiny']);
});

it('(2) adds a model from a picked folder: stored verified in the cache, then generates without fetching any of its files', { timeout: CASE_TIMEOUT }, async () => {
  const { page, root } = await serveWithCopy('vidlet-copy', 'Vidlet copy'); // served, but this case never uses the address
  const folder = join(root, 'picked', 'vidlet-folder');
  packageCopy(folder, 'vidlet-folder', 'Vidlet from a folder', true);
  const fetched: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/extra/') || path.startsWith('/picked/')) fetched.push(path);
  });

  await library(page).locator('input[type=file]').setInputFiles(folder);
  const candidate = library(page).locator('.candidate');
  await candidate.waitFor({ timeout: 60_000 });
  expect(await candidate.locator('.candidate-name').textContent()).toBe('Vidlet from a folder');
  await library(page).getByRole('button', { name: 'Add model' }).click();
  // Done when listed; a refusal shows its message instead (and fails here with it).
  await library(page).locator('li[data-model="vidlet-folder"], .library-problem').first().waitFor({ timeout: 300_000 });
  expect(await library(page).locator('.library-problem').count(), (await library(page).locator('.library-problem').allTextContents()).join()).toBe(0);
  expect(await rows(page)).toEqual(['vidlet-tiny', 'vidlet-folder']);
  // Every listed file stored complete (all variants, adapters, blender): nothing half installed.
  const stored = (await cachedModels(page)).find((m) => m.name === 'vidlet-folder');
  const listed = new Set<string>();
  const m = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  for (const c of Object.values(m.components) as { variants: Record<string, { files: { path: string }[] }> }[]) for (const v of Object.values(c.variants)) for (const f of v.files) listed.add(f.path);
  for (const a of m.adapters) listed.add(a.file);
  if (m.blender) listed.add(m.blender.file);
  expect(stored).toEqual({ name: 'vidlet-folder', completeFiles: listed.size });

  await library(page).getByRole('button', { name: 'Use Vidlet from a folder' }).click();
  await waitForModel(page, 'vidlet-folder');
  await generate(page, 6);
  expect(await page.evaluate(() => (window as unknown as W).vidlet.history.entries.value.map((e) => e.model))).toEqual(['vidlet-folder']);
  expect(fetched).toEqual([]);
});
