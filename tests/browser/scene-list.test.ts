/**
 * The scene list in Chromium (#10): a typed two-scene prompt is offered as a list, the split is
 * accepted, the rows are reordered from the keyboard and a length is changed (and snapped), and a
 * few-step generation ends with the cut detector's "N scenes found of 2 asked" on the player.
 * The shipped model makes scene plans on its scene denoiser (8–16-frame scenes in steps of 4);
 * what this checks is the page's side, not how many cuts the model draws (scene_eval measures that).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fillForm, recordSteps, startServer, stepLog, waitForRunEnd, type App, type Server } from './harness';

const PROMPT = 'a red ball moves right on blue, then a yellow star on white';
const CASE_TIMEOUT = 900_000;

let server: Server;
let app: App;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  app = await server.launch();
});
afterEach(async () => {
  await app?.stop();
});

describe('scene list', () => {
  it('splits a typed prompt, reorders, relengths and reports the scenes found', { timeout: CASE_TIMEOUT }, async () => {
    const { page } = app;
    await fillForm(page, { prompt: PROMPT, steps: 2, seed: 7 });
    await page.getByText('Split into 2 scenes?').waitFor();
    await page.getByRole('button', { name: 'Split into 2 scenes' }).click();

    const first = page.getByRole('textbox', { name: 'Scene 1 text' });
    const second = page.getByRole('textbox', { name: 'Scene 2 text' });
    await expect.poll(() => first.inputValue()).toMatch(/red ball/);
    expect(await second.inputValue()).toMatch(/yellow star/);

    // Alt+Up on scene 2 moves it first; the texts swap places and nothing is lost.
    await second.focus();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => first.inputValue()).toMatch(/yellow star/);
    expect(await second.inputValue()).toMatch(/red ball/);

    // A length outside the contract snaps to its edge (8–64 frames before a model declares its own).
    const length = page.getByRole('spinbutton', { name: 'Scene 2 length in frames' });
    await length.fill('100');
    await length.press('Tab');
    await expect.poll(() => length.inputValue()).toBe('64');
    // The figure before Generate: before the model is loaded the contract's lengths count (16 + 64).
    await page.getByText('80 frames in all').waitFor();
    // A length the shipped model makes (its scenes are 8–16 frames), so the plan runs as asked.
    await length.fill('12');
    await length.press('Tab');
    await page.getByText('28 frames in all').waitFor();

    await recordSteps(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await stepLog(page)).toEqual([1, 2]);
    await page.getByText(/scenes? found of 2 asked/).waitFor({ timeout: 60_000 });

    // The plan is part of the history entry's settings: what the restore would bring back.
    const saved = await page.evaluate(() => (window as unknown as { vidlet: { history: { selected: { value?: { settings: { scenes?: { text: string; frames: number }[] }; sceneCheck?: { asked: number } } } } } }).vidlet.history.selected.value);
    expect(saved?.settings.scenes?.map((s) => s.frames)).toEqual([16, 12]);
    expect(saved?.sceneCheck?.asked).toBe(2);
  });
});
