/**
 * Adapters that come with the model package, in Chromium: once the model is loaded the panel
 * lists them (kind, trigger words); with both of the StageBlender's adapters enabled, DualReal
 * becomes available, its picture draws identity α and motion c − α per block group, and a
 * DualReal generation is recorded as such and is the engine's DualReal clip: the same tiles as
 * the engine in Node gives for the recorded settings (the per-step scales it feeds are unit-tested
 * against the table in tests/unit/adapters/schedule.test.ts), and not the constant blend of the
 * same pair or the base model.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { CLIP_TOLERANCE, largestTileDifference, tileMeans } from '../integration/helpers/clip-reference';
import { fillForm, startApp, waitForRunEnd, type App } from './harness';

const MODEL_DIR = resolve(import.meta.dirname, '../../public/models/vidlet-tiny');
const real = JSON.parse(readFileSync(`${MODEL_DIR}/manifest.json`, 'utf8'));

/** The package's identity + motion pair and its StageBlender table. */
function shippedPair() {
  const kinds = new Set(real.adapters?.map((a: { kind: string }) => a.kind));
  if (!real.blender || !kinds.has('identity') || !kinds.has('motion')) {
    throw new Error(`${MODEL_DIR}/manifest.json lists no identity + motion adapters with a StageBlender table, which this test is about; export them with training/vidlet_train (docs/adapter-format.md)`);
  }
  const blender = JSON.parse(readFileSync(resolve(MODEL_DIR, real.blender.file), 'utf8'));
  return { identity: blender.identity as string, motion: blender.motion as string, groups: blender.groups.length as number };
}

const served = shippedPair();
let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

type DoneWindow = { vidlet: { session: { run: { value: { entry?: { settings: Record<string, unknown>; video: { data: Uint8ClampedArray } } } } } } };

/** Clicks Generate; the finished entry's settings and its clip's tile means. */
async function generate() {
  const { page } = app;
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  const { settings, base64 } = await page.evaluate(() => {
    const entry = (window as unknown as DoneWindow).vidlet.session.run.value.entry!;
    const d = entry.video.data;
    let s = '';
    for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return { settings: entry.settings, base64: btoa(s) };
  });
  const { width, height, frames } = real.video;
  return { settings, tiles: tileMeans({ data: new Uint8ClampedArray(Buffer.from(base64, 'base64')), width, height, frames }) };
}

/** The same settings through the engine in Node (onnxruntime-web wasm, as in the page's worker). */
async function inNode(requests: GenerateRequest[]): Promise<number[][]> {
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
  await engine.loadModel({ base: MODEL_DIR }, { numThreads: 1 });
  try {
    const out: number[][] = [];
    for (const r of requests) out.push(tileMeans((await engine.generate(r)).video));
    return out;
  } finally {
    await engine.unload();
  }
}

const tileGap = (a: number[], b: number[]) => largestTileDifference(a, b, real.video.width, real.video.height);

describe('shipped adapters and DualReal in the page', () => {
  it('the adapter panel can load the model before any generation, to choose adapters first', async () => {
    const { page } = app;
    const load = page.getByRole('button', { name: 'Load the model now' });
    await load.click();
    for (const name of [served.identity, served.motion]) {
      await page.locator(`vidlet-adapter-row [data-adapter="${name}"]`).waitFor({ timeout: 60_000 });
    }
    await expect(load.count()).resolves.toBe(0); // loaded: the button is gone
    await expect(page.locator('vidlet-history-list li.entry').count()).resolves.toBe(0); // nothing was generated
  });

  it('lists the shipped adapters after the model loads and generates with DualReal blending', async () => {
    const { page } = app;
    await fillForm(page, { prompt: 'a red ball bouncing on a blue background', steps: 2, seed: 3 });
    const plain = await generate();

    for (const name of [served.identity, served.motion]) {
      const row = page.locator('vidlet-adapter-row').filter({ has: page.locator(`[data-adapter="${name}"]`) });
      await row.waitFor({ timeout: 30_000 });
      await expect(row.locator('.row').textContent()).resolves.toMatch(/with the model/);
    }
    const dualreal = page.getByRole('radio', { name: 'DualReal' });
    await page.getByRole('checkbox', { name: `Use ${served.identity}` }).check();
    // One of the pair is not enough for the table.
    await expect(dualreal.isDisabled()).resolves.toBe(true);
    await page.getByRole('checkbox', { name: `Use ${served.motion}` }).check();
    await expect(dualreal.isDisabled()).resolves.toBe(false);
    // Completing the pair selects the table the two were trained under.
    await expect(dualreal.isChecked()).resolves.toBe(true);
    // The picture: identity α (solid) and motion c − α (dashed), one line each per block group.
    const editor = page.locator('vidlet-schedule-editor[mode="dualreal"]');
    await editor.waitFor();
    await expect(editor.locator('path.line:not(.dashed)').count()).resolves.toBe(served.groups);
    await expect(editor.locator('path.line.dashed').count()).resolves.toBe(served.groups);

    const blended = await generate();
    expect(blended.settings).toMatchObject({ blend: 'dualreal', adapters: [{ name: served.identity }, { name: served.motion }] });
    // What DualReal does: the page's clip is the engine's DualReal clip for these settings, which on
    // this package is far from the constant blend of the same pair (Node, seed 3, 2 steps: tile
    // means up to 144 levels apart) and from the base model (236).
    const request = blended.settings as unknown as GenerateRequest;
    const [engineDualReal, engineConstant] = await inNode([request, { ...request, blend: 'constant' } as GenerateRequest]);
    const same = tileGap(blended.tiles, engineDualReal!);
    const fromConstant = tileGap(blended.tiles, engineConstant!).max;
    const fromBase = tileGap(blended.tiles, plain.tiles).max;
    console.log(`DualReal in the page, largest tile-mean gap (levels): to the engine's DualReal ${same.max.toFixed(3)}, to its constant blend ${fromConstant.toFixed(1)}, to the base model ${fromBase.toFixed(1)}`);
    expect(same.max, `page vs engine DualReal at ${same.at}`).toBeLessThanOrEqual(CLIP_TOLERANCE);
    expect(fromConstant).toBeGreaterThan(20 * CLIP_TOLERANCE);
    expect(fromBase).toBeGreaterThan(20 * CLIP_TOLERANCE);
    await page.locator('vidlet-history-list li.entry').first().getByText(/· DualReal/).waitFor();
    // Turning off half of the pair leaves DualReal nothing to blend: the choice goes back to constant.
    await page.getByRole('checkbox', { name: `Use ${served.motion}` }).uncheck();
    await expect(page.getByRole('radio', { name: 'Constant' }).isChecked()).resolves.toBe(true);
    await expect(dualreal.isDisabled()).resolves.toBe(true);
  });

  it('a trigger word the base model never learned is called carried by the enabled adapter, not ineffective', async () => {
    const { page } = app;
    const trigger = identityTrigger();
    await fillForm(page, { prompt: `${trigger} on a blue background` });
    const hint = page.locator('#prompt-hint');
    const use = page.getByRole('checkbox', { name: `Use ${served.identity}` });
    await use.check();
    await hint.locator('.carried', { hasText: `(adapter ${served.identity})` }).waitFor();
    await expect(hint.locator('.unknown').count()).resolves.toBe(0);
    await use.uncheck();
    await hint.locator('.unknown', { hasText: trigger }).waitFor();
    await expect(hint.locator('.carried').count()).resolves.toBe(0);
  });

  it("colour names read by the package's lexicon are shown as read, not as unlearned words", async () => {
    const { page } = app;
    await fillForm(page, { prompt: 'a tangerine star on a jet-black background' });
    const hint = page.locator('#prompt-hint');
    await hint.locator('.colours', { hasText: 'tangerine → orange, jet-black → black' }).waitFor();
    await expect(hint.locator('.unknown').count()).resolves.toBe(0);
  });

  it('with Shape emphasis on, the hint shows the reading it contrasts with, or that it does nothing for this prompt', async () => {
    const { page } = app;
    const emphasis = page.getByRole('spinbutton', { name: 'Shape emphasis' });
    const hint = page.locator('#prompt-hint');
    await fillForm(page, { prompt: 'a tangerine star on a jet-black background' });
    const advanced = page.locator('vidlet-prompt-form details');
    if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('summary').click();
    await emphasis.fill('3');
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).focus(); // number inputs commit on change
    await hint.locator('.contrast', { hasText: 'Shape emphasis contrasts it with: an orange shape on a black background' }).waitFor();
    await fillForm(page, { prompt: 'something orange drifts over black' });
    await hint.locator('.unknown', { hasText: 'Shape emphasis does nothing for this prompt' }).waitFor();
    await emphasis.fill('0');
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).focus();
    await expect(hint.getByText(/Shape emphasis/).count()).resolves.toBe(0);
  });
});

/** The first trigger word of the identity adapter as shipped (its description file). */
function identityTrigger(): string {
  const entry = real.adapters.find((a: { name: string }) => a.name === served.identity);
  return JSON.parse(readFileSync(resolve(MODEL_DIR, entry.description), 'utf8')).triggerWords[0];
}
