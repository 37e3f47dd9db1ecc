/**
 * The app end to end in Chromium, on one profile, in the order a user would go:
 * (a) generate with a live preview at every step, ending in a playable <video>;
 * (e) Cancel stops within a step, and the next Generate works;
 * (b) the history entry survives a reload;
 * (g) an exported file dropped on the page restores its settings;
 * (c) with /models/ blocked, a reload still generates from IndexedDB;
 * (d) a corrupted cached chunk is detected and the file fetched again; then deleting history.
 * Few steps everywhere: the machine has 2 shared cores.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawnLog, fillForm, playableVideo, recordSteps, runState, startApp, stepLog, waitForRunEnd, type App } from './harness';

const PROMPT = 'a red ball bouncing on a blue background';
let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

describe('Vidlet in Chromium', () => {
  it('(a) shows a preview at every step and ends in a playable video', async () => {
    const { page } = app;
    await fillForm(page, { prompt: PROMPT, steps: 3, seed: 7 });
    await recordSteps(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    // While running, the button is Cancel.
    await page.getByRole('button', { name: 'Cancel' }).waitFor({ timeout: 60_000 });
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await stepLog(page)).toEqual([1, 2, 3]);
    // The canvas drew each step's preview (frames of a real size, not an empty canvas).
    const drawn = await drawnLog(page);
    expect(drawn.map((d) => d.step)).toEqual([1, 2, 3]);
    for (const d of drawn) expect(d.width * d.height).toBeGreaterThan(0);
    const video = await playableVideo(page);
    expect(video.readyState).toBeGreaterThanOrEqual(2);
    expect(video.duration).toBeGreaterThan(0);
    expect(video.width).toBeGreaterThan(0);
    // The app is ready for the next run.
    await page.getByRole('button', { name: 'Generate' }).waitFor();
    // The model panel names the backend it runs on.
    await expect(page.locator('vidlet-model-panel .backend').textContent()).resolves.toMatch(/WebGPU|WebAssembly/);
  });

  it('(e) Cancel stops within a step and the next Generate works', async () => {
    const { page } = app;
    await fillForm(page, { prompt: 'a yellow star spinning', steps: 200, seed: 11 });
    await recordSteps(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.waitForFunction(() => (window as unknown as { __steps: number[] }).__steps.length >= 2, undefined, { timeout: 120_000 });
    // Count the steps the page had shown at the moment the click arrived (read before click(), the
    // count missed the steps that finished while Playwright was still aiming at the button).
    await page.evaluate(() => {
      const w = window as unknown as { __steps: number[]; __stepsAtCancel?: number };
      window.addEventListener('click', () => (w.__stepsAtCancel ??= w.__steps.length), { capture: true, once: true });
    });
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await waitForRunEnd(page)).toBe('cancelled');
    const atCancel = await page.evaluate(() => (window as unknown as { __stepsAtCancel: number }).__stepsAtCancel);
    const steps = await stepLog(page);
    // "Within a step": after the click, at most the step running in the worker completes, plus one
    // step that had finished but whose message was still on its way to the page.
    expect(steps.length).toBeLessThanOrEqual(atCancel + 2);
    expect(steps.length).toBeLessThan(200);
    await expect(page.getByRole('status').filter({ hasText: 'Cancelled' }).first().textContent()).resolves.toMatch(/Cancelled/);

    await fillForm(page, { prompt: 'a yellow star spinning', steps: 2, seed: 11 });
    await recordSteps(page);
    // This time with the keyboard shortcut.
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).press('Control+Enter');
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await stepLog(page)).toEqual([1, 2]);
    await playableVideo(page);
  });

  it('(b) the history entry survives a reload and plays again', async () => {
    const page = app.page;
    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    const entry = page.locator('vidlet-history-list li.entry', { hasText: PROMPT });
    await entry.first().waitFor({ timeout: 30_000 });
    expect(await page.locator('vidlet-history-list li.entry').count()).toBe(2);
    await entry.first().getByRole('button', { name: `Play: ${PROMPT}` }).click();
    const video = await playableVideo(page);
    expect(video.duration).toBeGreaterThan(0);
    // Restoring its settings puts the prompt and seed back into the form.
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('something else');
    await entry.first().getByRole('button', { name: 'Use settings' }).click();
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe(PROMPT);
    await expect(page.getByRole('spinbutton', { name: 'Seed' }).inputValue()).resolves.toBe('7');
  });

  it('(g) dropping an exported file restores its settings (MP4, WebM, GIF, PNG zip)', async () => {
    const { page } = app;
    // The shown clip is the one restored in (b): prompt PROMPT, seed 7, 3 steps.
    for (const format of ['mp4', 'webm', 'gif', 'zip']) {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 60_000 }),
        page.locator(`vidlet-export-bar button[data-format="${format}"]`).click(),
      ]);
      const name = download.suggestedFilename();
      expect(name.endsWith(`.${format}`)).toBe(true);
      const bytes = [...readFileSync(await download.path())];
      expect(bytes.length).toBeGreaterThan(100);

      await fillForm(page, { prompt: 'a different prompt', steps: 9, seed: 123 });
      const dataTransfer = await page.evaluateHandle(
        ({ bytes, name }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name));
          return dt;
        },
        { bytes, name },
      );
      await page.dispatchEvent('vidlet-app', 'dragenter', { dataTransfer });
      await page.dispatchEvent('vidlet-app', 'drop', { dataTransfer });
      await page.getByText(`Settings restored from "${name}"`).waitFor({ timeout: 15_000 });
      await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe(PROMPT);
      await expect(page.getByRole('spinbutton', { name: 'Seed' }).inputValue()).resolves.toBe('7');
      await expect(page.getByRole('spinbutton', { name: 'Steps' }).inputValue()).resolves.toBe('3');
    }

    // A file that is not a Vidlet export is refused with a message, and nothing changes.
    const junk = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])], 'notes.bin'));
      return dt;
    });
    await page.dispatchEvent('vidlet-app', 'drop', { dataTransfer: junk });
    await page.getByText('No settings restored').waitFor({ timeout: 15_000 });
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).resolves.toBe(PROMPT);
  });

  it('(c) with the model URLs blocked, a reload still generates from IndexedDB', async () => {
    const { context } = app;
    let blocked = 0;
    await context.route('**/models/**', (route) => {
      blocked++;
      return route.abort('internetdisconnected');
    });
    try {
      const page = app.page;
      await page.reload();
      await page.waitForFunction(() => 'vidlet' in window);
      await fillForm(page, { prompt: PROMPT, steps: 2, seed: 3 });
      await recordSteps(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      expect(await waitForRunEnd(page)).toBe('done');
      expect(await stepLog(page)).toEqual([1, 2]);
      await playableVideo(page);
      // The block was real: the engine did ask the network (manifest revalidation) and was refused.
      expect(blocked).toBeGreaterThan(0);
    } finally {
      await context.unrouteAll();
    }
  });

  it('(d) a corrupted cached file is detected and fetched again', async () => {
    const page = app.page;
    // Overwrite one stored chunk with garbage of the same length (so only sha256 can tell).
    const corrupted = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('vidlet-models');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const tx = db.transaction('files', 'readwrite');
      const store = tx.objectStore('files');
      const keys = (await new Promise<IDBValidKey[]>((ok) => {
        const r = store.getAllKeys(IDBKeyRange.bound('chunk:', 'chunk:\uffff'));
        r.onsuccess = () => ok(r.result);
      })) as string[];
      // The smallest file's first chunk keeps the re-download short.
      const key = keys.find((k) => k.includes('preview')) ?? keys[0];
      const chunk = await new Promise<Uint8Array>((ok) => {
        const r = store.get(key);
        r.onsuccess = () => ok(r.result);
      });
      const garbage = new Uint8Array(chunk.length);
      for (let i = 0; i < garbage.length; i += 65536) crypto.getRandomValues(garbage.subarray(i, i + 65536));
      store.put(garbage, key);
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
      // "chunk:vidlet-tiny/preview_decoder.onnx@<sha>#00000" → "preview_decoder.onnx"
      return { key, path: key.slice(key.indexOf('/') + 1, key.indexOf('@')), bytes: chunk.length };
    });
    expect(corrupted.bytes).toBeGreaterThan(0);

    const fetched: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/models/') && r.ok()) fetched.push(new URL(r.url()).pathname);
    });
    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await fillForm(page, { prompt: PROMPT, steps: 2, seed: 5 });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForRunEnd(page)).toBe('done');
    await playableVideo(page);
    expect(fetched.some((p) => p.endsWith(`/${corrupted.path}`))).toBe(true);
    // Only the damaged file came from the network again, not the whole model.
    expect(fetched.filter((p) => p.endsWith('.onnx'))).toEqual([expect.stringMatching(new RegExp(`/${corrupted.path.replace('.', '\\.')}$`))]);
    expect(await runState(page)).toBe('done');
  });

  it('deleting a history entry removes it for good', async () => {
    const page = app.page;
    const entries = page.locator('vidlet-history-list li.entry');
    const before = await entries.count();
    expect(before).toBeGreaterThan(1);
    const prompt = (await entries.first().locator('.prompt').textContent()) ?? '';
    await entries.first().getByRole('button', { name: `Delete: ${prompt}` }).click();
    await expect.poll(() => entries.count()).toBe(before - 1);
    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await entries.first().waitFor();
    expect(await entries.count()).toBe(before - 1);
  });
});
