/**
 * Vidlet as an installed web app (#13), the BUILT app served by a plain static server
 * (static-server.ts), not vite preview:
 * (1) the first visit downloads the model and generates; then the network goes away
 *     (context.setOffline and the server refusing every request), the page is reloaded, and it
 *     loads and generates again from the caches alone: the service worker's precache (page,
 *     scripts, engine worker, onnxruntime's plain .wasm) and IndexedDB (the model); then, still
 *     offline, the engine worker's adapter is made to look like a hardware GPU and the model is
 *     loaded again: 'auto' picks WebGPU, whose files this browser never fetched (its fp32 weights;
 *     its runtime, the asyncify .wasm, is cached only once a WebGPU load fetched it), and the load
 *     falls back on what WebAssembly has stored and generates (found with this test: the missing
 *     weights failed the load instead);
 * (2) a second build is deployed at the same origin: the open app keeps running the build it came
 *     from, page and engine worker alike, and offers "A new version is ready — Reload"; Reload
 *     brings page and worker onto the new build together, and an idle second tab follows by itself.
 *     Chrome's install prompt (headless Chromium fires it too) shows as an Install button that opens it;
 * (3) the service worker cannot store the app (here a precached file the host lost; a full disk
 *     fails the same install): the page says it is not saved for offline use instead of staying
 *     silent, and once the file is back a reload saves it.
 * Each case on its own profile; 2 steps per generation (nothing here is about the picture).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { builtApp, describeAdapterAsHardware, engineWorker, fillForm, launchApp, waitForRunEnd, type App } from './harness';
import { startStaticServer, type StaticServer } from './static-server';

const ROOT = resolve(import.meta.dirname, '../..');
/** What the run's own build reports (vite.config.ts: VIDLET_BUILD, else the package version). */
const VERSION = process.env.VIDLET_BUILD || (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string);
/** A model download and two generations, or a second `vite build`, on 2 busy cores. */
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

type Shell = { state: { value: { offlineReady: boolean; offlineProblem?: string; installable: boolean; update: { kind: string } } } };
type Backend = { backend: string; reason: string };
type Session = { source: unknown; switchModel(source: unknown): Promise<void>; model: { value: { kind: string; info?: { backend: Backend } } } };
type VidletWindow = { vidlet: { shell: Shell; session: Session; version: string; engine: { buildVersion(): Promise<string> } } };

/** Waits until the service worker of this page's build is active (the app shell is precached). */
async function offlineReady(page: Page) {
  await page.waitForFunction(() => (window as unknown as VidletWindow).vidlet.shell.state.value.offlineReady, undefined, { timeout: 240_000, polling: 250 });
}

/** Reloads and waits for the app (on whatever build the service worker serves). */
async function reload(page: Page) {
  await page.reload();
  await page.waitForFunction(() => 'vidlet' in window);
}

/** The build the page and its engine worker report. */
async function versions(page: Page): Promise<{ page: string; worker: string }> {
  return page.evaluate(async () => {
    const v = (window as unknown as VidletWindow).vidlet;
    return { page: v.version, worker: await v.engine.buildVersion() };
  });
}

async function generateOnce(page: Page) {
  await fillForm(page, { prompt: 'a red ball bouncing on a blue background', steps: 2, seed: 3 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
}

describe('Vidlet as an installed web app', () => {
  it('(1) generates again after a reload with no network, from the service worker and IndexedDB alone', { timeout: CASE_TIMEOUT }, async () => {
    server = await startStaticServer(builtApp());
    app = await launchApp(server.url);
    const { page, context } = app;
    await generateOnce(page);
    await offlineReady(page);

    // What the service worker keeps: the shell and onnxruntime's wasm, never the model files.
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
      return urls;
    });
    expect(cached).toContain('/index.html');
    expect(cached.some((u) => /^\/assets\/engine-worker-.*\.js$/.test(u))).toBe(true);
    expect(cached.some((u) => /^\/assets\/ort-wasm-simd-threaded-[^.]*\.wasm$/.test(u))).toBe(true);
    // The WebGPU bundle's asyncify wasm is kept only once a WebGPU load fetched it (vite.config.ts);
    // this page ran on WebAssembly, so it never asked for it.
    expect(cached.filter((u) => /asyncify/.test(u))).toEqual([]);
    expect(cached.filter((u) => u.startsWith('/models/'))).toEqual([]);

    await page.getByText('Saved for offline use', { exact: true }).waitFor();

    server.offline = true;
    await context.setOffline(true);
    await reload(page);
    // Served by the service worker, with the headers the host sent: still cross-origin isolated,
    // so onnxruntime keeps its threads offline.
    expect(await page.evaluate(() => ({ controlled: !!navigator.serviceWorker.controller, isolated: crossOriginIsolated }))).toEqual({ controlled: true, isolated: true });
    await generateOnce(page);
    // Nothing the app needed came from the server; only the browser's own update check of the
    // service worker script may have tried.
    expect(server.refused.filter((path) => path !== '/sw.js')).toEqual([]);

    // Offline before any WebGPU load, on a machine whose GPU the engine would use.
    await describeAdapterAsHardware(await engineWorker(page));
    await page.evaluate(async () => {
      const session = (window as unknown as VidletWindow).vidlet.session;
      await session.switchModel(session.source); // unloads; the next Generate loads again
    });
    await generateOnce(page);
    const backend = await page.evaluate(() => (window as unknown as VidletWindow).vidlet.session.model.value.info?.backend);
    expect(backend?.backend).toBe('wasm');
    expect(backend?.reason).toMatch(/^WebGPU's weights could not be downloaded \(Cannot read .+\); using WebAssembly\./);
    // Only the WebGPU runtime the service worker never had may have been asked of the network.
    expect(server.refused.filter((path) => path !== '/sw.js' && !/\.asyncify\.[^/]*wasm$|asyncify-[^/]*\.wasm$/.test(path))).toEqual([]);
  });

  it('(2) offers a newly deployed build, keeps page and worker on one build until Reload, then moves both, and an idle tab follows; Install opens Chrome\'s prompt', { timeout: CASE_TIMEOUT }, async () => {
    const first = builtApp();
    const next = mkdtempSync(join(tmpdir(), 'vidlet-next-build-'));
    cleanups.push(() => rmSync(next, { recursive: true, force: true }));
    const NEXT = `${VERSION}-next`;
    const build = spawnSync('npx', ['vite', 'build', '--outDir', next, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, VIDLET_BUILD: NEXT },
    });
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);

    server = await startStaticServer(first);
    app = await launchApp(server.url);
    const { page } = app;
    await offlineReady(page);
    await reload(page); // the second visit: now the service worker serves the app
    expect(await versions(page)).toEqual({ page: VERSION, worker: VERSION });
    // A second tab of the app, idle: when the first applies the update, it must follow by itself
    // rather than keep running the old build under the new service worker.
    const other = await app.context.newPage();
    await other.goto(server.url);
    await other.waitForFunction(() => 'vidlet' in window);
    const banner = page.getByText('A new version is ready');
    expect(await banner.count()).toBe(0);

    server.deploy(next);
    // A navigation makes the browser check sw.js: the new build installs and waits. Until the user
    // says Reload, the page and a newly started engine worker still come from the first build.
    await reload(page);
    await banner.waitFor({ timeout: 240_000 });
    expect(await versions(page)).toEqual({ page: VERSION, worker: VERSION });

    await page.getByRole('button', { name: 'Reload' }).click();
    await page.waitForFunction((v) => (window as unknown as Partial<VidletWindow>).vidlet?.version === v, NEXT, { timeout: 60_000, polling: 250 });
    expect(await versions(page)).toEqual({ page: NEXT, worker: NEXT });
    expect(await page.getByText('A new version is ready').count()).toBe(0);
    await other.waitForFunction((v) => (window as unknown as Partial<VidletWindow>).vidlet?.version === v, NEXT, { timeout: 60_000, polling: 250 });
    expect(await versions(other)).toEqual({ page: NEXT, worker: NEXT });
    await other.close();

    // Chrome fires beforeinstallprompt by itself once the manifest and service worker make the app
    // installable (headless too); the page shows Install instead of Chrome's mini-infobar. The test
    // then hands the page a stand-in event, so that pressing Install opens no real dialog.
    await page.getByRole('button', { name: 'Install' }).waitFor({ timeout: 60_000 });
    await page.evaluate(() => {
      const event = new Event('beforeinstallprompt', { cancelable: true }) as Event & Record<string, unknown>;
      event.prompt = async () => void ((window as unknown as { __prompted: boolean }).__prompted = true);
      event.userChoice = Promise.resolve({ outcome: 'accepted' });
      window.dispatchEvent(event);
    });
    await page.getByRole('button', { name: 'Install' }).click();
    expect(await page.evaluate(() => (window as unknown as { __prompted?: boolean }).__prompted)).toBe(true);
    expect(await page.getByRole('button', { name: 'Install' }).count()).toBe(0);
  });

  it('(3) says when the app could not be saved for offline use, and saves it on a later reload', { timeout: CASE_TIMEOUT }, async () => {
    server = await startStaticServer(builtApp());
    // Precached (the web app manifest's icon), but nothing the page itself needs to run.
    server.missing.add('/icons/icon-192.png');
    app = await launchApp(server.url);
    const { page } = app;
    await page.getByText('Not saved for offline use', { exact: false }).waitFor({ timeout: 240_000 });
    const shell = await page.evaluate(() => ({
      ...(window as unknown as VidletWindow).vidlet.shell.state.value,
      controlled: !!navigator.serviceWorker.controller,
    }));
    expect(shell.offlineReady).toBe(false);
    expect(shell.controlled).toBe(false);
    expect(shell.offlineProblem).toMatch(/of storage left for this site/);
    expect(await page.getByText('Saved for offline use', { exact: true }).count()).toBe(0);
    // The page itself is untouched: it still generates online.
    await generateOnce(page);

    server.missing.clear();
    await reload(page);
    await offlineReady(page);
    await page.getByText('Saved for offline use', { exact: true }).waitFor();
    expect(await page.getByText('Not saved for offline use', { exact: false }).count()).toBe(0);
  });
});
