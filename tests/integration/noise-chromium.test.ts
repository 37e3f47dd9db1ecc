/**
 * "Same seed → same clip" must hold between the page (Chromium's V8 in a worker) and Node: the
 * seeded noise (src/engine/noise.ts) and the scheduler arithmetic are run in headless Chromium
 * (Debian's /usr/bin/chromium via playwright-core) and their bytes compared with Node's.
 * Skipped where there is no Chromium.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gaussianNoise, NoiseStream } from '../../src/engine/noise';
import { createScheduler } from '../../src/engine/schedulers';
import { available, CHROMIUM } from '../prerequisites';


/** What both sides compute: noise for a few seeds/streams and an Euler-ancestral run over it. */
function probe(lib: { gaussianNoise: typeof gaussianNoise; createScheduler: typeof createScheduler; NoiseStream: typeof NoiseStream }) {
  const parts: Float32Array[] = [];
  for (const seed of [0, 1, 42, 4294967295, 2 ** 40 + 7]) {
    parts.push(lib.gaussianNoise(seed, lib.NoiseStream.video, 4096), lib.gaussianNoise(seed, lib.NoiseStream.motion, 512));
  }
  const s = lib.createScheduler('euler-ancestral', 9);
  s.setTimesteps(6, 3);
  let x = lib.gaussianNoise(9, lib.NoiseStream.video, 2048);
  for (const c of s.calls) x = s.step(x.map((v) => v * 0.5 - 0.1), c.t, c.tNext, x);
  parts.push(x);
  const bytes: number[] = [];
  for (const p of parts) bytes.push(...new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return bytes;
}

const TITLE = 'seeded noise is bit-identical in Chromium and Node';
describe.runIf(available(CHROMIUM, TITLE))(TITLE, () => {
  it('same bytes for noise and an Euler-ancestral run', async () => {
    const bundle = await build({
      stdin: {
        contents: `export { gaussianNoise, NoiseStream } from './src/engine/noise'; export { createScheduler } from './src/engine/schedulers';`,
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      globalName: 'vidletNoise',
      write: false,
      platform: 'browser',
    });
    const code = bundle.outputFiles[0]!.text;
    const nodeHash = createHash('sha256').update(Uint8Array.from(probe({ gaussianNoise, createScheduler, NoiseStream }))).digest('hex');

    const dir = mkdtempSync(join(tmpdir(), 'vidlet-chromium-'));
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM.path,
      headless: true,
      args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      // Run inside a Web Worker, where the engine runs on the page.
      const bytes = await page.evaluate(
        async ({ code, probeSrc }) => {
          const src = `${code}\nconst probe = ${probeSrc};\npostMessage(probe(vidletNoise));`;
          const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
          return await new Promise<number[]>((res, rej) => {
            w.onmessage = (e) => res(e.data as number[]);
            w.onerror = (e) => rej(new Error(e.message));
          });
        },
        { code, probeSrc: probe.toString() },
      );
      const browserHash = createHash('sha256').update(Uint8Array.from(bytes)).digest('hex');
      expect(bytes.length).toBe((5 * (4096 + 512) + 2048) * 4);
      expect(browserHash).toBe(nodeHash);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
