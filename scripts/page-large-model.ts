/**
 * #11: a multi-GB converted package through the page, as a user adds it — in headless Chromium, on
 * the built app served by the plain static server, the package beside it at /extra/<name>/.
 *
 *   nice -n 19 npx tsx scripts/page-large-model.ts --package DIR [--steps 2] [--json .tmp/page-large-model.json]
 *
 * In order: the model panel's "Check address" (the size it shows before any download), "Add model",
 * "Use" (every file of the variants the load plan chose streamed into IndexedDB and hashed, then the
 * sessions made), then three generations: a prompt, a second prompt (its text not cached: a parted
 * text encoder's parts are read back from the store and run again), and the first prompt again (its
 * text cached). Each generation's stage timings are the engine's own (GenerateResult.timings).
 *
 * Memory: every second, the resident set of each of this profile's Chromium processes (/proc/PID/status
 * VmRSS; processes found by the profile directory in their command line); reported as the peak of
 * the largest process and the peak of their sum. Shared pages count once per process in the sum.
 * Writes everything measured to --json. Run it on a quiet machine: it is slow and heavy by nature.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { builtApp, fillForm, launchApp, waitForRunEnd } from '../tests/browser/harness';
import { startStaticServer } from '../tests/browser/static-server';
import type { EngineDiagnostics } from '../src/worker/engine-host';

const { values } = parseArgs({
  options: {
    package: { type: 'string' },
    steps: { type: 'string', default: '2' },
    json: { type: 'string', default: '.tmp/page-large-model.json' },
    prompts: { type: 'string', default: 'a red ball rolls across a wooden table|a camera pans over a city at night' },
  },
});
if (!values.package) throw new Error('--package DIR is required: a converted package folder (manifest.json and its files)');
const PKG = resolve(values.package);
const manifest = JSON.parse(readFileSync(join(PKG, 'manifest.json'), 'utf8')) as { name: string; displayName: string };
const STEPS = Number(values.steps);
const [PROMPT_A, PROMPT_B] = values.prompts!.split('|') as [string, string];
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

/** Peak resident bytes of this profile's Chromium processes, sampled every second. */
function memorySampler(profile: string) {
  const peak = { largest: 0, sum: 0 };
  const sample = () => {
    let sum = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) continue;
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        sum += kb * 1024;
        peak.largest = Math.max(peak.largest, kb * 1024);
      } catch {
        // the process ended between listing and reading
      }
    }
    peak.sum = Math.max(peak.sum, sum);
  };
  const timer = setInterval(sample, 1000);
  return { peak, stop: () => clearInterval(timer), sample };
}

async function modelState(page: Page) {
  return page.evaluate(() => {
    const m = (window as unknown as { vidlet: { session: { model: { value: { kind: string; info?: { name: string; bytes: number; variant?: string; backend?: string }; error?: unknown } } } } }).vidlet.session.model.value;
    return { kind: m.kind, info: m.info, error: m.error };
  });
}

/** Wraps EngineClient.generate once, to keep each result's timings and its text-encoder cache state. */
async function armProbe(page: Page) {
  await page.evaluate(() => {
    type W = { vidlet: { engine: { generate(r: unknown, cb: unknown): Promise<{ timings: unknown; variant: string; backend: string }> } }; __results: unknown[] };
    const w = window as unknown as W;
    w.__results = [];
    const engine = w.vidlet.engine;
    const generate = engine.generate.bind(engine);
    engine.generate = async (request, callbacks) => {
      const result = await generate(request, callbacks);
      w.__results.push({ timings: result.timings, variant: result.variant, backend: result.backend });
      return result;
    };
  });
}

async function generate(page: Page, prompt: string, seed: number) {
  await fillForm(page, { prompt, steps: STEPS, seed });
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Generate' }).click();
  const end = await waitForRunEnd(page, 3_600_000);
  const wallMs = performance.now() - t0;
  const results = await page.evaluate(() => (window as unknown as { __results: unknown[] }).__results);
  return { prompt, end, wallMs: Math.round(wallMs), engine: results.at(-1) };
}

const root = mkdtempSync(join(tmpdir(), 'vidlet-large-'));
const dist = builtApp();
for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(root, entry));
mkdirSync(join(root, 'extra'));
symlinkSync(PKG, join(root, 'extra', manifest.name));
const server = await startStaticServer(root);
const app = await launchApp(server.url);
const memory = memorySampler(basename(app.userDataDir));
const page = app.page;
const record: Record<string, unknown> = { package: PKG, name: manifest.name, steps: STEPS, startedAt: new Date().toISOString() };
try {
  const library = page.locator('vidlet-model-library');
  await library.getByRole('textbox', { name: 'Model address' }).fill(`${server.url}extra/${manifest.name}/`);
  await library.getByRole('button', { name: 'Check address' }).click();
  const candidate = library.locator('.candidate, .library-problem');
  await candidate.first().waitFor({ timeout: 60_000 });
  record.shownBeforeDownload = (await candidate.first().textContent())?.replace(/\s+/g, ' ').trim();
  log(`shown: ${record.shownBeforeDownload}`);
  await library.getByRole('button', { name: 'Add model' }).click();
  const t0 = performance.now();
  await library.getByRole('button', { name: `Use ${manifest.displayName}` }).click();
  await page.waitForFunction(
    (name) => {
      const m = (window as unknown as { vidlet: { session: { model: { value: { kind: string; info?: { name: string } } } } } }).vidlet.session.model.value;
      return (m.kind === 'ready' && m.info?.name === name) || m.kind === 'error';
    },
    manifest.name,
    { timeout: 3_600_000, polling: 1000 },
  );
  record.installAndLoadMs = Math.round(performance.now() - t0);
  record.model = await modelState(page);
  log(`model: ${JSON.stringify(record.model)} after ${record.installAndLoadMs} ms`);
  if ((record.model as { kind: string }).kind !== 'ready') throw new Error('the model did not load');
  record.loadMeasures = (await page.evaluate(async () => {
    const w = window as unknown as { vidlet: { engine: { diagnostics(): Promise<EngineDiagnostics> } } };
    return (await w.vidlet.engine.diagnostics()).loadMeasures;
  })) as unknown;
  record.peakAfterLoad = { ...memory.peak };
  await armProbe(page);
  const runs = [];
  for (const [prompt, seed] of [[PROMPT_A, 1], [PROMPT_B, 2], [PROMPT_A, 3]] as const) {
    runs.push(await generate(page, prompt, seed));
    log(`generation: ${JSON.stringify(runs.at(-1))}`);
  }
  record.generations = runs;
} catch (error) {
  record.error = String(error);
  log(`failed: ${String(error)}`);
  process.exitCode = 1;
} finally {
  memory.sample();
  memory.stop();
  record.peakResidentBytes = memory.peak;
  record.finishedAt = new Date().toISOString();
  mkdirSync(dirname(resolve(values.json!)), { recursive: true });
  writeFileSync(values.json!, JSON.stringify(record, null, 2));
  log(`peak resident: largest process ${(memory.peak.largest / 1e9).toFixed(2)} GB, all ${(memory.peak.sum / 1e9).toFixed(2)} GB; written ${values.json}`);
  await app.stop();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
