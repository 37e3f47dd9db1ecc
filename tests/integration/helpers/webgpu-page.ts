/**
 * What the WebGPU-in-Chromium checks share: headless Debian Chromium with WebGPU enabled (its only
 * adapter here is SwiftShader, ../shared/BROWSER.md) on a throw-away profile, and a check page served
 * by playwright routes from the repository, with no server and no network.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM } from '../../prerequisites';

const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];

export interface WebGpuChromium {
  ctx: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

export async function launchWebGpuChromium(profilePrefix: string): Promise<WebGpuChromium> {
  const dir = mkdtempSync(join(tmpdir(), profilePrefix));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM.path, headless: true, args: ARGS });
  return {
    ctx,
    async close() {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function contentType(path: string): string {
  if (path.endsWith('.wasm')) return 'application/wasm';
  if (path.endsWith('.mjs') || path.endsWith('.js')) return 'text/javascript';
  return path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

/**
 * Serves `origin` (a localhost one: a secure context, so navigator.gpu exists): `/` is a page that
 * loads `script` as a module, `/ort/…` onnxruntime-web's dist, and `/<prefix>/…` each of `folders`
 * (prefix → folder, relative to the repository root). Anything else is a 404.
 */
export async function routeCheckPage(ctx: BrowserContext, origin: string, script: string, folders: Record<string, string>): Promise<void> {
  const roots: Record<string, string> = { ort: 'node_modules/onnxruntime-web/dist', ...folders };
  await ctx.route(`${origin}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/check.mjs"></script>' });
    if (path === '/check.mjs') return route.fulfill({ contentType: 'text/javascript', body: script });
    const [, prefix, rest] = /^\/([^/]+)\/(.+)$/.exec(path) ?? [];
    const file = prefix && rest && roots[prefix] ? `${roots[prefix]}/${rest}` : null;
    if (!file || file.includes('..') || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: contentType(file), body: readFileSync(file) });
  });
}
