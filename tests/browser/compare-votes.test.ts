/**
 * Compare takes and votes end to end in Chromium, on a fresh profile: two takes of one prompt
 * (seeds 7 and 8, 2 steps: the machine has 2 shared cores), shown side by side and scored by the
 * shipped reward model (VQ, MQ, TA, overall = their sum); a vote by keyboard (1 0 2 → VQ A, MQ tie,
 * TA B) is saved, is still there after a reload, and the exported JSONL holds it with everything
 * needed to make both takes again (prompt, seeds, steps, model sha256) and both takes' reward
 * features (a taste head is fitted on those).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fillForm, startServer, type App, type Server } from './harness';

const PROMPT = 'a red ball bouncing on a blue background';
/** Downloads the model into a fresh profile and makes two takes: minutes on a busy machine. */
const CASE_TIMEOUT = 900_000;
const MANIFEST_SHA256 = createHash('sha256').update(readFileSync('public/models/vidlet-tiny/manifest.json')).digest('hex');

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

describe('Compare takes and vote in Chromium', () => {
  it('makes 2 takes, votes by keyboard, keeps the vote over a reload and exports it as JSONL', { timeout: CASE_TIMEOUT }, async () => {
    const { page } = app;
    await fillForm(page, { prompt: PROMPT, steps: 2, seed: 7 });
    await page.getByRole('combobox', { name: 'Takes to compare' }).selectOption('2');
    await page.getByRole('button', { name: 'Compare takes' }).click();
    // Progress names the take and the step while the batch runs.
    await page.getByText(/take [12] of 2/).first().waitFor({ timeout: 600_000 });
    await page.locator('vidlet-compare-takes canvas[data-take="1"]').waitFor({ timeout: 600_000 });
    const rows = page.locator('vidlet-compare-takes table.scores tr');
    await rows.nth(2).waitFor({ timeout: 120_000 });
    expect(await rows.count()).toBe(3); // the header and one row per take
    for (const i of [1, 2]) {
      const cells = (await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim());
      expect(cells[0]).toMatch(/^take [12]$/);
      const [vq, mq, ta, overall] = cells.slice(1).map(Number);
      for (const v of [vq, mq, ta, overall]) expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(vq! + mq! + ta! - overall!)).toBeLessThanOrEqual(0.02); // shown to 2 decimals
    }
    // Once scored, the best take by overall is marked under its clip (and only there) and in the table.
    await page.locator('vidlet-compare-takes strong.best').getByText('best of 2').waitFor();
    const captions = (await page.locator('vidlet-compare-takes figcaption').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(captions.map((c) => c.replace(/ best of 2$/, ''))).toEqual(['A: take 1 · seed 7', 'B: take 2 · seed 8']);
    expect(captions.filter((c) => c.endsWith(' best of 2'))).toHaveLength(1);
    expect(await page.locator('vidlet-compare-takes tr.best').count()).toBe(1);

    const save = page.getByRole('button', { name: 'Save vote' });
    expect(await save.isDisabled()).toBe(true);
    await page.locator('vidlet-vote-bar').focus();
    for (const key of ['1', '0']) await page.keyboard.press(key);
    expect(await save.isDisabled()).toBe(true); // TA not voted yet
    await page.keyboard.press('2');
    await save.click();
    await page.getByText('Vote saved (1 vs 2).').waitFor({ timeout: 30_000 });
    await page.getByText('1 vote stored in this browser.').waitFor({ timeout: 30_000 });

    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await page.getByText('1 vote stored in this browser.').waitFor({ timeout: 30_000 });

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Export JSONL' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^vidlet-votes-\d{4}-\d\d-\d\d\.jsonl$/);
    const lines = readFileSync(await download.path(), 'utf8').split('\n');
    expect(lines).toHaveLength(2); // one record and the newline after it
    expect(lines[1]).toBe('');
    const vote = JSON.parse(lines[0]!);
    expect(vote).toMatchObject({
      version: 1,
      prompt: PROMPT,
      model: 'vidlet-tiny',
      modelHash: MANIFEST_SHA256,
      outcomes: { VQ: 'A', MQ: 'tie', TA: 'B' },
    });
    expect('overall' in vote.outcomes).toBe(false); // A, tie, B: no overall is guessed
    expect([vote.a.settings.seed, vote.b.settings.seed]).toEqual([7, 8]);
    expect([vote.a.settings.steps, vote.b.settings.steps]).toEqual([2, 2]);
    expect(vote.a.settings.prompt).toBe(PROMPT);
    const features = JSON.parse(readFileSync('public/models/vidlet-tiny/manifest.json', 'utf8')).reward.features;
    for (const take of [vote.a, vote.b]) {
      expect(take.features).toHaveLength(features);
      expect(take.features.every(Number.isFinite)).toBe(true);
    }
    expect(vote.a.features).not.toEqual(vote.b.features);
  });
});
