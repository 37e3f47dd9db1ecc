/**
 * Browser-test harness: builds the app into the test run's own directory (build.ts: once per run,
 * and a build of the same sources is reused), serves it with `vite preview` on a free 127.0.0.1
 * port (with the COOP/COEP headers of vite.config.ts), and launches Debian's chromium through
 * playwright-core with a fresh user-data dir. A test file calls `startApp()` in beforeAll and
 * `stop()` in afterAll (one profile for all its cases), or `startServer()` in beforeAll and
 * `server.launch()` per case (each case on its own empty profile, so any one can run alone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { inject } from 'vitest';
import { buildApp, makeRunDir } from './build';

const ROOT = resolve(import.meta.dirname, '../..');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  // measureUserAgentSpecificMemory() otherwise waits for the next natural GC (tens of seconds).
  '--enable-blink-features=ForceEagerMeasureMemory',
  '--js-flags=--expose-gc',
];

let buildDir: string | undefined;

/** This run's build directory: global-setup.ts's under vitest; outside it (screenshot.ts) this process's own. */
function runBuildDir(): string {
  if (buildDir) return buildDir;
  const provided = process.env.VITEST ? inject('browserBuildDir') : undefined;
  if (provided) return (buildDir = provided);
  const own = makeRunDir();
  process.once('exit', () => rmSync(own, { recursive: true, force: true }));
  return (buildDir = own);
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs} ms`);
}

export interface App {
  url: string;
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  /** Opens a new page on the app (same profile). */
  open(): Promise<Page>;
  /** Closes the browser and starts it again on the same profile (a real restart). */
  restartBrowser(): Promise<Page>;
  stop(): Promise<void>;
}

/** The built app served by `vite preview`; every `launch()` opens it in a browser on a fresh profile. */
export interface Server {
  url: string;
  /** A new browser on a new, empty profile (its own IndexedDB, localStorage and history). */
  launch(): Promise<App>;
  stop(): Promise<void>;
}

/** This run's build of the app (build.ts), for tests that serve it themselves (static-server.ts). */
export function builtApp(): string {
  return buildApp(runBuildDir());
}

export async function startServer(): Promise<Server> {
  const dist = builtApp();
  const port = await freePort();
  const server = spawn(
    'npx',
    ['vite', 'preview', '--outDir', dist, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: ROOT, stdio: 'ignore', detached: true },
  );
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, server, 60_000);
  } catch (error) {
    killGroup(server);
    throw error;
  }
  return {
    url,
    launch: () => launchApp(url),
    async stop() {
      killGroup(server);
    },
  };
}

/** Chromium on a fresh user-data dir, showing the app at `url`; `stop()` closes it and deletes the profile. */
export async function launchApp(url: string): Promise<App> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'vidlet-browser-'));
  const launch = () =>
    chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  let context: BrowserContext | undefined;
  let page: Page;
  try {
    context = await launch();
    page = await openApp(context, url);
  } catch (error) {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const app: App = {
    url,
    context,
    page,
    userDataDir,
    open: () => openApp(app.context, url),
    async restartBrowser() {
      await app.context.close();
      app.context = await launch();
      app.page = await openApp(app.context, url);
      return app.page;
    },
    async stop() {
      await app.context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** Server and browser in one, for test files that share one profile across their cases. */
export async function startApp(): Promise<App> {
  const server = await startServer();
  let app: App;
  try {
    app = await server.launch();
  } catch (error) {
    await server.stop();
    throw error;
  }
  const closeBrowser = app.stop;
  app.stop = async () => {
    await closeBrowser();
    await server.stop();
  };
  return app;
}

function killGroup(child: ChildProcess) {
  // npx starts vite as a child: end the whole group we created (detached), not just npx.
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

export async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('[console]', m.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => 'vidlet' in window);
  return page;
}

/** Fills the form through the UI (accessible names), as a user would. */
export async function fillForm(page: Page, s: { prompt: string; steps?: number; seed?: number }) {
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(s.prompt);
  if (s.steps !== undefined) await page.getByRole('spinbutton', { name: 'Steps' }).fill(String(s.steps));
  if (s.seed !== undefined) await page.getByRole('spinbutton', { name: 'Seed' }).fill(String(s.seed));
  // number inputs commit on change; blur makes sure it fired
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).focus();
}

/** What the live preview canvas showed for one step, read right after it drew that step. */
export interface DrawnStep {
  step: number;
  width: number;
  height: number;
  /** The frame of this step's preview clip that the canvas shows; −1 when it matches none (stale or blank). */
  frame: number;
  /** The canvas's RGBA bytes (width × height × 4). */
  pixels: number[];
  /** Mean absolute difference (0–255) between this step's preview clip and the previous step's; null at step 1. */
  changeFromPrevious: number | null;
}

/**
 * Records every step event of the session from now on, and for each what the live preview canvas
 * shows once it has rendered that step: its size, its pixels, which frame of the step's preview it
 * is, and how much the preview clip changed since the previous step (read with `stepLog`/`drawnLog`).
 */
export async function recordSteps(page: Page) {
  await page.evaluate(() => {
    type Frames = { width: number; height: number; frames: number; data: Uint8Array | Uint8ClampedArray };
    type Drawn = { step: number; width: number; height: number; frame: number; pixels: number[]; changeFromPrevious: number | null };
    type W = {
      vidlet: { session: { run: { subscribe(f: (s: { kind: string; step?: { step: number; preview: Frames } }) => void): void } } };
      __steps: number[];
      __drawn: Drawn[];
      __stepsRecording?: boolean;
    };
    const w = window as unknown as W;
    w.__steps = [];
    w.__drawn = [];
    if (w.__stepsRecording) return;
    w.__stepsRecording = true;
    let last: unknown;
    let previous: Frames | undefined;
    const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      if (a.length !== b.length) return false;
      // putImageData → getImageData of opaque pixels is exact; allow 2 levels for colour handling.
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 2) return false;
      return true;
    };
    const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
      return sum / a.length;
    };
    w.vidlet.session.run.subscribe((s) => {
      if (s.kind !== 'running' || !s.step || s.step === last) return;
      last = s.step;
      const n = s.step.step;
      const preview = s.step.preview;
      const changeFromPrevious = n > 1 && previous && previous.data.length === preview.data.length ? meanAbsDiff(preview.data, previous.data) : null;
      previous = preview;
      w.__steps.push(n);
      // The app re-renders first (it passes the step down), then the preview draws; no timer
      // tick of the preview's frame loop can run between its draw and this read (microtasks).
      void (async () => {
        await (document.querySelector('vidlet-app') as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        const el = document.querySelector('vidlet-app')?.shadowRoot?.querySelector('vidlet-live-preview') as
          | (HTMLElement & { updateComplete: Promise<unknown> })
          | null;
        await el?.updateComplete;
        const canvas = el?.shadowRoot?.querySelector('canvas');
        if (!canvas || Number(canvas.dataset.step) !== n) return;
        const pixels = canvas.width * canvas.height > 0 ? canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data : new Uint8ClampedArray();
        const size = preview.width * preview.height * 4;
        let frame = -1;
        if (pixels.length === size) {
          for (let i = 0; i < preview.frames && frame < 0; i++) if (sameBytes(pixels, preview.data.subarray(i * size, (i + 1) * size))) frame = i;
        }
        w.__drawn.push({ step: n, width: canvas.width, height: canvas.height, frame, pixels: Array.from(pixels), changeFromPrevious });
      })();
    });
  });
}

export async function stepLog(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __steps: number[] }).__steps);
}

export async function drawnLog(page: Page): Promise<DrawnStep[]> {
  return page.evaluate(() => (window as unknown as { __drawn: DrawnStep[] }).__drawn);
}

export async function runState(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { vidlet: { session: { run: { value: { kind: string } } } } }).vidlet.session.run.value.kind);
}

/** Waits until the run is over and returns its final state kind ('done', 'error', 'cancelled'). */
export async function waitForRunEnd(page: Page, timeoutMs = 240_000): Promise<string> {
  await page.waitForFunction(
    () => {
      const kind = (window as unknown as { vidlet: { session: { run: { value: { kind: string } } } } }).vidlet.session.run.value.kind;
      return kind === 'done' || kind === 'error' || kind === 'cancelled';
    },
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
  const state = await page.evaluate(() => {
    const s = (window as unknown as { vidlet: { session: { run: { value: { kind: string; error?: unknown } } } } }).vidlet.session.run.value;
    return { kind: s.kind, error: s.error };
  });
  if (state.kind === 'error') console.error('[run error]', JSON.stringify(state.error));
  return state.kind;
}

/** The result <video>'s state once it can play (readyState ≥ HAVE_CURRENT_DATA). */
export async function playableVideo(page: Page) {
  const video = page.locator('vidlet-result-player video');
  await video.waitFor({ state: 'attached', timeout: 30_000 });
  await page.waitForFunction(
    () => {
      const player = document.querySelector('vidlet-app')?.shadowRoot?.querySelector('vidlet-result-player');
      const v = player?.shadowRoot?.querySelector('video');
      return !!v && v.readyState >= 2 && v.duration > 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  return video.evaluate((v: HTMLVideoElement) => ({ readyState: v.readyState, duration: v.duration, paused: v.paused, width: v.videoWidth }));
}

/** RGBA bytes of the result <video> (paused, then sought to each time in seconds), at its own size. */
export async function videoFrames(page: Page, times: number[]): Promise<{ width: number; height: number; frames: number[][] }> {
  const video = page.locator('vidlet-result-player video');
  return video.evaluate(async (v: HTMLVideoElement, times: number[]) => {
    v.pause();
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const frames: number[][] = [];
    for (const t of times) {
      await new Promise<void>((ok) => {
        v.addEventListener('seeked', () => ok(), { once: true });
        v.currentTime = t;
      });
      ctx.drawImage(v, 0, 0);
      frames.push(Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data));
    }
    return { width: canvas.width, height: canvas.height, frames };
  }, times);
}

/** Drops a file with these bytes onto the app, as a person dragging it from the desktop would. */
export async function dropFile(page: Page, name: string, bytes: number[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, bytes }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name));
      return dt;
    },
    { name, bytes },
  );
  await page.dispatchEvent('vidlet-app', 'dragenter', { dataTransfer });
  await page.dispatchEvent('vidlet-app', 'drop', { dataTransfer });
}

/**
 * A temporary folder holding the built app with `packageDir` beside it at /extra/`name`/, for the static server:
 * what a person who hosts a converted model next to the page serves. The caller removes it.
 */
export function siteWithPackage(prefix: string, packageDir: string, name: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dist = builtApp();
  for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(root, entry));
  mkdirSync(join(root, 'extra'));
  symlinkSync(packageDir, join(root, 'extra', name));
  return root;
}

/** Drops several files at once (an adapter's weights with its description), as one drag from the desktop. */
export async function dropFiles(page: Page, files: { name: string; bytes: number[] }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, files);
  await page.dispatchEvent('vidlet-app', 'drop', { dataTransfer });
}

/**
 * Adds the package at `address` in the model library, as a person does (Check address, Add model, Use), and
 * waits until the page's model is `name` and ready, or failed; returns that state.
 */
export async function useModelAt(page: Page, address: string, displayName: string, name: string): Promise<{ kind: string; info?: unknown; error?: unknown }> {
  const library = page.locator('vidlet-model-library');
  await library.getByRole('textbox', { name: 'Model address' }).fill(address);
  await library.getByRole('button', { name: 'Check address' }).click();
  await library.locator('.candidate').waitFor({ timeout: 60_000 });
  await library.getByRole('button', { name: 'Add model' }).click();
  await library.getByRole('button', { name: `Use ${displayName}` }).click();
  type ModelWindow = { vidlet: { session: { model: { value: { kind: string; info?: { name: string }; error?: unknown } } } } };
  await page.waitForFunction(
    (name) => {
      const m = (window as unknown as ModelWindow).vidlet.session.model.value;
      return (m.kind === 'ready' && m.info?.name === name) || m.kind === 'error';
    },
    name,
    { timeout: 300_000, polling: 250 },
  );
  return page.evaluate(() => (window as unknown as ModelWindow).vidlet.session.model.value);
}

/** The page's engine worker (engine-client.ts names its script engine-worker). */
export async function engineWorker(page: Page): Promise<Worker> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const worker = page.workers().find((w) => /engine-worker/.test(w.url()));
    if (worker) return worker;
    if (Date.now() > deadline) throw new Error(`no engine worker among ${page.workers().map((w) => w.url()).join(', ') || 'no workers'}`);
    await page.waitForTimeout(100);
  }
}

/**
 * In the engine worker, the WebGPU adapter (SwiftShader here, which the engine rightly treats as no
 * WebGPU) describes itself as hardware, so the next model load with backend 'auto' takes the path a
 * machine with a GPU takes.
 */
export async function describeAdapterAsHardware(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const info = (self as unknown as { GPUAdapterInfo: { prototype: object } }).GPUAdapterInfo.prototype;
    for (const key of ['vendor', 'architecture', 'description']) Object.defineProperty(info, key, { get: () => 'test GPU', configurable: true });
    Object.defineProperty(info, 'isFallbackAdapter', { get: () => false, configurable: true });
  });
}
