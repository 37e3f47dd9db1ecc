/**
 * Adapters that come with the model package, in Chromium: once the model is loaded the panel
 * lists them (kind, trigger words); with both of the StageBlender's adapters enabled, DualReal
 * becomes available, its picture draws identity α and motion c − α per block group, and a
 * DualReal generation is recorded as such and differs from the base model.
 *
 * Uses the package's own identity + motion adapters and table when public/models/vidlet-tiny
 * ships them; until then the page is served a copy of the manifest that lists two seeded random
 * adapters and a table (Playwright routes; same sha256 checks as real files).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evenGroups } from '../../src/app/data/adapter-settings';
import { makeAdapter } from '../integration/helpers/adapter-fixture';
import { fillForm, startApp, waitForRunEnd, type App } from './harness';

const MODEL_DIR = resolve(import.meta.dirname, '../../public/models/vidlet-tiny');
const real = JSON.parse(readFileSync(`${MODEL_DIR}/manifest.json`, 'utf8'));
const shipsPair = !!real.blender && real.adapters?.some((a: { kind: string }) => a.kind === 'identity') && real.adapters?.some((a: { kind: string }) => a.kind === 'motion');

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

/** The package as served: the real one, or the real one plus synthetic adapters and a table. */
function servedPackage() {
  if (shipsPair) {
    const blender = JSON.parse(readFileSync(resolve(MODEL_DIR, real.blender.file), 'utf8'));
    return { manifest: real, routes: new Map<string, Uint8Array>(), identity: blender.identity as string, motion: blender.motion as string, groups: blender.groups.length as number };
  }
  const routes = new Map<string, Uint8Array>();
  const adapters = [];
  for (const [name, kind, seed] of [['test-id', 'identity', 21], ['test-move', 'motion', 22]] as const) {
    const a = makeAdapter(name, kind, real.name, real.lora, seed);
    const description = { ...a.description, triggerWords: [kind === 'identity' ? 'mascot' : 'loop'] };
    routes.set(`adapters/${name}.safetensors`, a.weights);
    routes.set(`adapters/${name}.json`, text(description));
    adapters.push({ name, kind, file: `adapters/${name}.safetensors`, description: `adapters/${name}.json`, bytes: a.weights.length, sha256: sha(a.weights) });
  }
  const groups = evenGroups(real.lora.depth, 3);
  const table = {
    format: 'vidlet-stage-blender', formatVersion: 1, baseModel: real.name, identity: 'test-id', motion: 'test-move', c: 2, depth: real.lora.depth, groups,
    timesteps: [0, 0.5, 1],
    alpha: [groups.map(() => 1.6), groups.map((_, g) => 1 - 0.2 * g), groups.map(() => 0.3)],
  };
  const tableBytes = text(table);
  routes.set('adapters/test-id+test-move.blender.json', tableBytes);
  const manifest = { ...real, adapters, blender: { file: 'adapters/test-id+test-move.blender.json', bytes: tableBytes.length, sha256: sha(tableBytes) } };
  return { manifest, routes, identity: 'test-id', motion: 'test-move', groups: groups.length };
}

const served = servedPackage();
let app: App;

beforeAll(async () => {
  app = await startApp();
  if (!shipsPair) {
    await app.context.route('**/models/vidlet-tiny/manifest.json', (route) => route.fulfill({ json: served.manifest }));
    await app.context.route('**/models/vidlet-tiny/adapters/**', (route) => {
      const path = new URL(route.request().url()).pathname.replace(/^.*\/models\/vidlet-tiny\//, '');
      const body = served.routes.get(path);
      return body ? route.fulfill({ body: Buffer.from(body), contentType: 'application/octet-stream' }) : route.fulfill({ status: 404 });
    });
    await app.page.reload();
    await app.page.waitForFunction(() => 'vidlet' in window);
  }
});

afterAll(async () => {
  await app?.stop();
});

type DoneWindow = { vidlet: { session: { run: { value: { entry?: { settings: Record<string, unknown>; video: { data: Uint8ClampedArray } } } } } } };

async function generate() {
  const { page } = app;
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  return page.evaluate(async () => {
    const entry = (window as unknown as DoneWindow).vidlet.session.run.value.entry!;
    const digest = await crypto.subtle.digest('SHA-256', entry.video.data.slice().buffer);
    return { hash: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''), settings: entry.settings };
  });
}

describe(`shipped adapters and DualReal in the page (${shipsPair ? 'the package’s own' : 'synthetic, routed'})`, () => {
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
    expect(blended.hash).not.toBe(plain.hash);
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
});

/** The first trigger word of the identity adapter as shipped (its description file). */
function identityTrigger(): string {
  if (!shipsPair) return 'mascot';
  const entry = real.adapters.find((a: { name: string }) => a.name === served.identity);
  return JSON.parse(readFileSync(resolve(MODEL_DIR, entry.description), 'utf8')).triggerWords[0];
}
