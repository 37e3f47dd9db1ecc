/**
 * Browser-test harness: builds the app once (`vite build`, reused while no source changed),
 * serves it with `vite preview` on a free 127.0.0.1 port (with the COOP/COEP headers of
 * vite.config.ts), and launches Debian's chromium through playwright-core with a fresh
 * user-data dir. Each test file calls `startApp()` in beforeAll and `stop()` in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'node_modules/.cache/vidlet-browser-dist');
const STAMP = join(DIST, '.vidlet-build-stamp');

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

/** Newest mtime of everything the bundle is built from. */
function sourceStamp(): string {
  let newest = 0;
  let count = 0;
  const walk = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else {
      newest = Math.max(newest, st.mtimeMs);
      count++;
    }
  };
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'package.json']) {
    const full = join(ROOT, p);
    if (existsSync(full)) walk(full);
  }
  return `${newest}:${count}`;
}

export function buildApp(): string {
  const stamp = sourceStamp();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp) return DIST;
  const result = spawnSync('npx', ['vite', 'build', '--outDir', DIST, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  writeFileSync(STAMP, stamp);
  return DIST;
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

export async function startApp(): Promise<App> {
  const dist = buildApp();
  const port = await freePort();
  const server = spawn(
    'npx',
    ['vite', 'preview', '--outDir', dist, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: ROOT, stdio: 'ignore', detached: true },
  );
  const url = `http://127.0.0.1:${port}/`;
  const userDataDir = mkdtempSync(join(tmpdir(), 'vidlet-browser-'));
  const launch = () =>
    chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  let context: BrowserContext | undefined;
  try {
    await waitForHttp(url, server, 60_000);
    context = await launch();
  } catch (error) {
    killGroup(server);
    throw error;
  }
  const app: App = {
    url,
    context,
    page: await openApp(context, url),
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
      killGroup(server);
      rmSync(userDataDir, { recursive: true, force: true });
    },
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

/**
 * Records every step event of the session from now on, and for each the step number the live
 * preview canvas shows once it has rendered, with the canvas size (read with `stepLog`/`drawnLog`).
 */
export async function recordSteps(page: Page) {
  await page.evaluate(() => {
    type W = {
      vidlet: { session: { run: { subscribe(f: (s: { kind: string; step?: { step: number } }) => void): void } } };
      __steps: number[];
      __drawn: { step: number; width: number; height: number }[];
      __stepsRecording?: boolean;
    };
    const w = window as unknown as W;
    w.__steps = [];
    w.__drawn = [];
    if (w.__stepsRecording) return;
    w.__stepsRecording = true;
    let last: unknown;
    w.vidlet.session.run.subscribe((s) => {
      if (s.kind !== 'running' || !s.step || s.step === last) return;
      last = s.step;
      const n = s.step.step;
      w.__steps.push(n);
      const preview = document.querySelector('vidlet-app')?.shadowRoot?.querySelector('vidlet-live-preview') as
        | (HTMLElement & { updateComplete: Promise<unknown> })
        | null;
      // The app re-renders first (it passes the step down), then the preview draws.
      void (async () => {
        await (document.querySelector('vidlet-app') as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        const el = (document.querySelector('vidlet-app')?.shadowRoot?.querySelector('vidlet-live-preview') ?? preview) as
          | (HTMLElement & { updateComplete: Promise<unknown> })
          | null;
        await el?.updateComplete;
        const canvas = el?.shadowRoot?.querySelector('canvas');
        if (canvas && Number(canvas.dataset.step) === n) w.__drawn.push({ step: n, width: canvas.width, height: canvas.height });
      })();
    });
  });
}

export async function stepLog(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __steps: number[] }).__steps);
}

export async function drawnLog(page: Page): Promise<{ step: number; width: number; height: number }[]> {
  return page.evaluate(() => (window as unknown as { __drawn: { step: number; width: number; height: number }[] }).__drawn);
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
