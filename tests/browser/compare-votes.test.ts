/**
 * Compare takes and votes end to end in Chromium, on a fresh profile: two takes of one prompt
 * (seeds 7 and 8, 2 steps: the machine has 2 shared cores), shown side by side and scored by the
 * shipped reward model (VQ, MQ, TA, overall = their sum); a vote by keyboard (1 0 2 → VQ A, MQ tie,
 * TA B) is saved, is still there after a reload, and the exported JSONL holds it with everything
 * needed to make both takes again (prompt, seeds, steps, model sha256) and both takes' reward
 * features (a taste head is fitted on those). The scores are also kept with both takes' history
 * entries (shown there, still there after the reload); sorting the history by TA puts the take
 * with the higher TA first, and best of N by TA marks that take. A clip made by Generate has no
 * scores until its Score button scores it, and keeps them over a reload.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { fillForm, startServer, waitForRunEnd, type App, type Server } from './harness';

const PROMPT = 'a red ball bouncing on a blue background';
/** Downloads the model into a fresh profile and makes two takes: minutes on a busy machine. */
const CASE_TIMEOUT = 900_000;
const MANIFEST_SHA256 = createHash('sha256').update(readFileSync('public/models/vidlet-tiny/manifest.json')).digest('hex');

/** The history's clips in the order shown: each one's seed and its scores line, e.g. "VQ 0.12 · MQ -0.30 · TA 0.05 · overall -0.13". */
async function historyScores(page: Page): Promise<{ seed: number; scores: string }[]> {
  const items = await page.locator('vidlet-history-list li.entry').allTextContents();
  return items.map((text) => ({
    seed: Number(/seed (\d+)/.exec(text)?.[1]),
    scores: /VQ -?\d+\.\d\d · MQ -?\d+\.\d\d · TA -?\d+\.\d\d · overall -?\d+\.\d\d/.exec(text)?.[0] ?? 'no scores',
  }));
}

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
  it('makes 2 takes, keeps their scores in history (sortable by TA), votes by keyboard, keeps the vote over a reload and exports it as JSONL', { timeout: CASE_TIMEOUT }, async () => {
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
    /** Each take's scores as the table shows them, by seed (take 1 is seed 7). */
    const table = new Map<number, string[]>();
    for (const i of [1, 2]) {
      const cells = (await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim());
      expect(cells[0]).toMatch(/^take [12]$/);
      const [vq, mq, ta, overall] = cells.slice(1).map(Number);
      for (const v of [vq, mq, ta, overall]) expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(vq! + mq! + ta! - overall!)).toBeLessThanOrEqual(0.02); // shown to 2 decimals
      table.set(6 + Number(cells[0]!.slice('take '.length)), cells.slice(1));
    }
    const line = (seed: number) => {
      const [vq, mq, ta, overall] = table.get(seed)!;
      return `VQ ${vq} · MQ ${mq} · TA ${ta} · overall ${overall}`;
    };
    const ta = (seed: number) => Number(table.get(seed)![2]);
    // Equal at two decimals would leave the order to digits the page does not show.
    expect(ta(7)).not.toBe(ta(8));
    const byTa = [7, 8].sort((a, b) => ta(b) - ta(a));
    // Seeds 7 and 8 give the older take the higher TA, so sorting by TA visibly reorders the list.
    expect(byTa).not.toEqual([8, 7]);

    // The history keeps both takes' scores, newest first; sorted by TA, the higher TA comes first.
    await page.locator('vidlet-history-list p.scores').nth(1).waitFor({ timeout: 30_000 });
    expect(await historyScores(page)).toEqual([8, 7].map((seed) => ({ seed, scores: line(seed) })));
    const sortHistory = page.getByRole('combobox', { name: 'Sort history' });
    const seeds = async () => (await historyScores(page)).map((e) => e.seed);
    await sortHistory.selectOption('ta');
    await expect.poll(seeds).toEqual(byTa);
    await sortHistory.selectOption('newest');
    await expect.poll(seeds).toEqual([8, 7]);

    // Best of N by TA marks the take with the higher TA.
    await page.getByRole('combobox', { name: 'Best of N by' }).selectOption('ta');
    await page.locator('vidlet-compare-takes strong.best').getByText('best of 2 by TA').waitFor({ timeout: 10_000 });
    const byTaMark = page.locator('vidlet-compare-takes figcaption', { has: page.locator('strong.best') });
    expect((await byTaMark.textContent())?.replace(/\s+/g, ' ').trim()).toMatch(new RegExp(`take ${byTa[0]! - 6} · seed ${byTa[0]} best of 2 by TA$`));
    await page.getByRole('combobox', { name: 'Best of N by' }).selectOption('overall');
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
    // The scores were kept in IndexedDB with the entries.
    await page.locator('vidlet-history-list li.entry').nth(1).waitFor({ timeout: 30_000 });
    expect(await historyScores(page)).toEqual([8, 7].map((seed) => ({ seed, scores: line(seed) })));

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

  it('scores a clip made by Generate with its Score button, and keeps the scores over a reload', { timeout: CASE_TIMEOUT }, async () => {
    const { page } = app;
    await fillForm(page, { prompt: PROMPT, steps: 2, seed: 9 });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForRunEnd(page, 600_000)).toBe('done');
    const entry = page.locator('vidlet-history-list li.entry');
    await entry.first().waitFor({ timeout: 30_000 });
    expect(await historyScores(page)).toEqual([{ seed: 9, scores: 'no scores' }]);
    const score = entry.getByRole('button', { name: `Score: ${PROMPT}` });
    await score.click();
    await entry.locator('p.scores').waitFor({ timeout: 120_000 });
    const scored = await historyScores(page);
    const [vq, mq, ta, overall] = /VQ (\S+) · MQ (\S+) · TA (\S+) · overall (\S+)/.exec(scored[0]!.scores)!.slice(1).map(Number);
    expect(Math.abs(vq! + mq! + ta! - overall!)).toBeLessThanOrEqual(0.02); // shown to 2 decimals
    expect(await score.count()).toBe(0); // a scored clip offers no Score
    expect(await entry.locator('[role="alert"]').count()).toBe(0);

    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await entry.first().waitFor({ timeout: 30_000 });
    expect(await historyScores(page)).toEqual(scored);
  });
});
