/**
 * LoRA adapters on the page, end to end in Chromium on one profile:
 * (a) an adapter's .safetensors + .json dropped on the page is listed; enabled, it changes the
 *     clip of the same seed, and the history entry records it; the exported clip carries it
 *     (dropping the clip back restores it into the form);
 * (b) after a reload with the model URLs blocked, the adapter is still listed (IndexedDB) and the
 *     same request gives the same clip (so it was added to the engine again);
 * (c) an adapter of the wrong width is refused with a message naming the layer, a lone .json
 *     with one naming the missing .safetensors, and nothing else is lost; a lone .safetensors (a
 *     LoRA from another trainer) is added, named after the file, with the no-description note;
 * (d) a custom curve edited on the page (a typed point, a dragged point, a group multiplier)
 *     is what the request carries, and it changes the clip.
 * The adapter is a seeded random one for this model (tests/integration/helpers/adapter-fixture.ts):
 * it works whichever adapters the model package ships. Two steps per clip: 2 shared cores.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAdapter } from '../integration/helpers/adapter-fixture';
import { dropFiles, fillForm, startApp, waitForRunEnd, type App } from './harness';

const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../public/models/vidlet-tiny/manifest.json'), 'utf8'));
const PROMPT = 'a red ball bouncing on a blue background';
const NAME = 'test-glow';

function adapterFiles(name: string, width: number, seed: number) {
  const a = makeAdapter(name, 'style', manifest.name, { ...manifest.lora, width }, seed);
  const description = { ...a.description, triggerWords: ['glow'], displayName: `Glow test (${name})` };
  return [
    { name: `${name}.safetensors`, bytes: [...a.weights] },
    { name: `${name}.json`, bytes: [...new TextEncoder().encode(JSON.stringify(description))] },
  ];
}

type DoneWindow = { vidlet: { session: { run: { value: { kind: string; entry?: { settings: Record<string, unknown>; video: { data: Uint8ClampedArray } } } } } } };

/** sha256 of the finished clip's frames, and the settings its history entry recorded. */
async function finished(page: Page) {
  return page.evaluate(async () => {
    const run = (window as unknown as DoneWindow).vidlet.session.run.value;
    const data = run.entry!.video.data;
    const digest = await crypto.subtle.digest('SHA-256', data.slice().buffer);
    return { hash: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''), settings: run.entry!.settings };
  });
}

async function generate(page: Page) {
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  return finished(page);
}

let app: App;
let withAdapter: string;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

describe('adapters in the page', () => {
  it('(a) a dropped adapter is listed, changes the clip of the same seed, and is recorded in history and the export', async () => {
    const { page } = app;
    await fillForm(page, { prompt: PROMPT, steps: 2, seed: 7 });
    const plain = await generate(page);
    expect(plain.settings.adapters).toEqual([]);

    await dropFiles(page, adapterFiles(NAME, manifest.lora.width, 5));
    const row = page.locator('vidlet-adapter-row', { hasText: `Glow test (${NAME})` });
    await row.waitFor({ timeout: 30_000 });
    // (locators pierce shadow roots; textContent does not, so read the row's inner element)
    await expect(row.locator('.row').textContent()).resolves.toMatch(/style[\s\S]*yours[\s\S]*glow/);
    await page.getByText(`Adapter "${NAME}" added`).waitFor();
    await page.getByRole('checkbox', { name: `Use ${NAME}` }).check();
    // Its trigger word is not in the prompt: said, not silently added.
    await page.getByText('The prompt does not mention').waitFor();
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe(PROMPT);

    const styled = await generate(page);
    expect(styled.hash).not.toBe(plain.hash);
    expect(styled.settings).toMatchObject({ seed: 7, steps: 2, adapters: [{ name: NAME, strength: 1 }], blend: 'constant' });
    withAdapter = styled.hash;
    await page.locator('vidlet-history-list li.entry').first().getByText(`Adapters: ${NAME} 1`).waitFor();

    // The exported clip carries the adapter: turn it off, drop the clip back, and it is on again.
    await page.getByRole('checkbox', { name: `Use ${NAME}` }).uncheck();
    const clip = await page.evaluateHandle(() => {
      const run = (window as unknown as { vidlet: { session: { run: { value: { entry?: { clip?: Blob } } } } } }).vidlet.session.run.value;
      const dt = new DataTransfer();
      dt.items.add(new File([run.entry!.clip!], 'clip.webm'));
      return dt;
    });
    await page.dispatchEvent('vidlet-app', 'drop', { dataTransfer: clip });
    await page.getByText('Settings restored from "clip.webm"').waitFor({ timeout: 15_000 });
    await expect(page.getByRole('checkbox', { name: `Use ${NAME}` }).isChecked()).resolves.toBe(true);
  });

  it('(b) after a reload with the model URLs blocked, the adapter is still there and gives the same clip', async () => {
    const { context } = app;
    await context.route('**/models/**', (route) => route.abort('internetdisconnected'));
    try {
      const page = app.page;
      await page.reload();
      await page.waitForFunction(() => 'vidlet' in window);
      await page.locator('vidlet-adapter-row', { hasText: `Glow test (${NAME})` }).waitFor({ timeout: 30_000 });
      // The form kept its settings, adapter included.
      await expect(page.getByRole('checkbox', { name: `Use ${NAME}` }).isChecked()).resolves.toBe(true);
      await fillForm(page, { prompt: PROMPT, steps: 2, seed: 7 });
      const again = await generate(page);
      expect(again.settings.adapters).toEqual([{ name: NAME, strength: 1 }]);
      expect(again.hash).toBe(withAdapter);
    } finally {
      await context.unrouteAll();
    }
  });

  it('(c) broken adapters get a message naming the problem; nothing else is lost', async () => {
    const { page } = app;
    const entriesBefore = await page.locator('vidlet-history-list li.entry').count();
    // Wrong width: the engine names the first layer whose shape does not fit.
    await dropFiles(page, adapterFiles('too-wide', manifest.lora.width * 2, 9));
    const banner = page.locator('vidlet-error-banner.adapter-error');
    await banner.first().waitFor({ timeout: 30_000 });
    await expect(banner.first().locator('.banner').textContent()).resolves.toMatch(/cannot be used with this model[\s\S]*blocks\.0\.attn\.q\.lora_A\.weight/);
    // A description without its weights.
    await dropFiles(page, [adapterFiles('lonely', manifest.lora.width, 3)[1]!]);
    await page.getByText('lonely.json has no lonely.safetensors beside it').waitFor({ timeout: 15_000 });
    // Nothing lost: the good adapter is listed and enabled, the form and history are as they were.
    await expect(page.locator('vidlet-adapter-row', { hasText: 'too-wide' }).count()).resolves.toBe(0);
    await expect(page.getByRole('checkbox', { name: `Use ${NAME}` }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe(PROMPT);
    expect(await page.locator('vidlet-history-list li.entry').count()).toBe(entriesBefore);
    const stored = () => page.evaluate(() => (window as unknown as { vidlet: { adapters: { state: { value: { added: { info: { name: string } }[] } } } } }).vidlet.adapters.state.value.added.map((a) => a.info.name));
    expect(await stored()).toEqual([NAME]);

    // Weights without a description: added under the file's name, and the row says what went unchecked.
    await dropFiles(page, [{ ...adapterFiles('lonely', manifest.lora.width, 3)[0]!, name: 'Lonely_LoRA.safetensors' }]);
    const row = page.locator('vidlet-adapter-row', { hasText: 'Lonely_LoRA' });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.locator('[data-note="no-description"]').textContent()).resolves.toBe(
      'No description: Vidlet cannot check which model it was made for; its layers and shapes fit.',
    );
    expect(await stored()).toEqual([NAME, 'lonely-lora']);
  });

  it('(d) a curve edited on the page is what the request carries, and it changes the clip', async () => {
    const { page } = app;
    await page.getByRole('radio', { name: 'Custom curve' }).check();
    const editor = page.locator('vidlet-schedule-editor[mode="curve"]');
    await editor.waitFor();
    // Typed: the t = 0 end of the curve to 0…
    await page.getByRole('spinbutton', { name: 'Point 1 weight' }).fill('0');
    await page.getByRole('spinbutton', { name: 'Point 1 weight' }).press('Tab');
    // …dragged: the t = 1 point (left edge) pulled down to weight ≈ 0.
    const handle = editor.locator('circle.handle[data-point="2"]');
    const box = (await handle.boundingBox())!;
    const plot = (await editor.locator('rect.plot').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, plot.y + plot.height * 0.75, { steps: 4 });
    await page.mouse.up();
    await page.getByRole('spinbutton', { name: 'Multiplier for blocks 0–1 (shallow)' }).fill('0.5');
    await page.getByRole('spinbutton', { name: 'Multiplier for blocks 0–1 (shallow)' }).press('Tab');
    const curved = await generate(page);
    const schedule = (curved.settings.adapters as { schedule: { points: [number, number][]; multipliers: number[] } }[])[0]!.schedule;
    expect(schedule.points[0]).toEqual([0, 0]);
    expect(schedule.points[2]![0]).toBe(1);
    expect(schedule.points[2]![1]).toBeLessThan(0.9);
    expect(schedule.multipliers[0]).toBe(0.5);
    expect(curved.hash).not.toBe(withAdapter);
    await page.locator('vidlet-history-list li.entry').first().getByText(`Adapters: ${NAME} 1 (curve)`).waitFor();
    // Back to constant: the curve goes, the clip is the constant one again.
    await page.getByRole('radio', { name: 'Constant' }).check();
    expect((await generate(page)).hash).toBe(withAdapter);
  });
});
