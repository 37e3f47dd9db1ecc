/**
 * Compare takes and votes end to end in Chromium, on a fresh profile: two takes of one prompt with
 * the shipped pip adapter (seeds 7 and 8, 2 steps: the machine has 2 shared cores), shown side by
 * side and scored by the shipped reward model (VQ, MQ, TA, overall = their sum; a column header
 * sorts the rows by it). A vote by keyboard (arrows move the focused row; 1 / 0 / 2 vote on it) and
 * a one-click overall vote (recorded as overall alone) are saved, are still there after a reload,
 * and the exported JSONL holds them with everything needed to make both takes again (prompt,
 * seeds, steps, model sha256, pip's sha256) and both takes' reward features (a taste head is
 * fitted on those). After the reload, once the model has loaded, the votes of that model carry no
 * "other model" note, and an imported vote of a model that is not installed does, naming it.
 * The scores are also kept with both takes' history entries (shown there, still there after the
 * reload); sorting the history by TA puts the take with the higher TA first, and best of N by TA
 * marks that take. A clip made by Generate has no scores until its Score button scores it, and
 * keeps them over a reload.
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
const PIP_SHA256 = createHash('sha256').update(readFileSync('public/models/vidlet-tiny/adapters/pip.safetensors')).digest('hex');
const COLUMNS = ['VQ', 'MQ', 'TA', 'Overall'] as const;
type ModelWindow = { vidlet: { session: { model: { value: { kind: string } } } } };

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
  it('makes 2 takes with an adapter, keeps their scores in history (sortable by TA), votes by keyboard and by one click, keeps the votes over a reload and exports them as JSONL', { timeout: CASE_TIMEOUT }, async () => {
    const { page } = app;
    // The shipped adapters are listed once the model is loaded (the form is filled after: a load may set the model's defaults).
    await page.getByRole('button', { name: 'Load the model now' }).click();
    await page.getByRole('checkbox', { name: 'Use pip' }).check({ timeout: 600_000 });
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

    // A column header sorts the rows by that column, best first.
    const scoresTable = page.locator('vidlet-compare-takes table.scores');
    const orders = new Set<string>();
    for (const [i, column] of COLUMNS.entries()) {
      await scoresTable.getByRole('button', { name: column, exact: true }).click();
      await expect(scoresTable.locator('th button.on').textContent()).resolves.toBe(column);
      const shown = await scoresTable.locator('tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
      const values = shown.map((cells) => Number(cells[i + 1]));
      expect(values, `sorted by ${column}: ${JSON.stringify(shown)}`).toEqual([...values].sort((x, y) => y - x));
      orders.add(shown.map((cells) => cells[0]).join());
    }
    // Seeds 7 and 8 with pip: the takes do not come in the same order by every column, so a click reorders.
    expect(orders.size).toBeGreaterThan(1);

    const save = page.getByRole('button', { name: 'Save vote' });
    const bar = page.locator('vidlet-vote-bar');
    const focused = () => bar.locator('.row.focus').getAttribute('data-dimension');
    const pressed = () =>
      bar.locator('button[aria-pressed="true"]').evaluateAll((bs) => bs.map((b) => `${(b.closest('.row') as HTMLElement).dataset.dimension ?? 'overall'} ${(b as HTMLElement).dataset.outcome ?? (b as HTMLElement).dataset.overall}`));
    expect(await save.isDisabled()).toBe(true);
    await bar.focus();
    expect(await focused()).toBe('VQ');
    const moves: [string, string][] = [['ArrowDown', 'MQ'], ['ArrowDown', 'TA'], ['ArrowDown', 'TA'], ['ArrowUp', 'MQ'], ['ArrowUp', 'VQ'], ['ArrowUp', 'VQ']];
    for (const [key, row] of moves) {
      await page.keyboard.press(key);
      expect(await focused(), `after ${key}`).toBe(row);
    }
    await page.keyboard.press('1'); // VQ: A, focus moves on to MQ
    expect(await focused()).toBe('MQ');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('2'); // TA: B
    expect(await pressed()).toEqual(['VQ A', 'TA B']);
    expect(await save.isDisabled()).toBe(true); // MQ not voted yet
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('MQ');
    await page.keyboard.press('0'); // MQ: tie
    expect(await pressed()).toEqual(['VQ A', 'MQ tie', 'TA B']);
    await save.click();
    await page.getByText('Vote saved (1 vs 2).').waitFor({ timeout: 30_000 });
    await page.getByText('1 vote stored in this browser.').waitFor({ timeout: 30_000 });
    expect(await pressed()).toEqual([]); // the bar is cleared for the next vote

    // One click on Overall is a whole vote, and sets none of the three dimensions.
    await bar.getByRole('button', { name: 'B better', exact: true }).click();
    expect(await pressed()).toEqual(['overall B']);
    await save.click();
    await page.getByText('2 votes stored in this browser.').waitFor({ timeout: 30_000 });

    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await page.getByText('2 votes stored in this browser.').waitFor({ timeout: 30_000 });
    // The stored model loads by itself after a reload; then no vote is said to need another model.
    await page.waitForFunction(() => (window as unknown as ModelWindow).vidlet.session.model.value.kind === 'ready', undefined, { timeout: 600_000 });
    const notes = page.locator('vidlet-votes-panel p.mismatch');
    await expect.poll(() => notes.allTextContents(), { timeout: 30_000 }).toEqual([]);
    // The scores were kept in IndexedDB with the entries.
    await page.locator('vidlet-history-list li.entry').nth(1).waitFor({ timeout: 30_000 });
    expect(await historyScores(page)).toEqual([8, 7].map((seed) => ({ seed, scores: line(seed) })));

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Export JSONL' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^vidlet-votes-\d{4}-\d\d-\d\d\.jsonl$/);
    const lines = readFileSync(await download.path(), 'utf8').split('\n');
    expect(lines).toHaveLength(3); // two records and the newline after each
    expect(lines[2]).toBe('');
    const [vote, oneClick] = lines.slice(0, 2).map((l) => JSON.parse(l));
    expect(vote).toMatchObject({
      version: 1,
      prompt: PROMPT,
      model: 'vidlet-tiny',
      modelHash: MANIFEST_SHA256,
      outcomes: { VQ: 'A', MQ: 'tie', TA: 'B' },
    });
    expect('overall' in vote.outcomes).toBe(false); // A, tie, B: no overall is guessed
    expect(oneClick.outcomes).toEqual({ overall: 'B' });
    for (const v of [vote, oneClick]) {
      expect([v.a.settings.seed, v.b.settings.seed]).toEqual([7, 8]);
      expect([v.a.settings.steps, v.b.settings.steps]).toEqual([2, 2]);
      expect(v.a.settings.prompt).toBe(PROMPT);
      for (const take of [v.a, v.b]) {
        expect(take.settings.adapters.map((a: { name: string }) => a.name)).toEqual(['pip']);
        expect(take.adapterHashes).toEqual({ pip: PIP_SHA256 });
      }
    }
    const features = JSON.parse(readFileSync('public/models/vidlet-tiny/manifest.json', 'utf8')).reward.features;
    for (const take of [vote.a, vote.b]) {
      expect(take.features).toHaveLength(features);
      expect(take.features.every(Number.isFinite)).toBe(true);
    }
    expect(vote.a.features).not.toEqual(vote.b.features);

    // A vote of a model that is not installed: its note names that model and the installed one.
    const foreign = { ...vote, id: 'foreign-1', model: 'vidlet-other', modelHash: 'ab'.repeat(32) };
    await page.locator('vidlet-votes-panel input[type="file"]').setInputFiles({ name: 'foreign.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(JSON.stringify(foreign) + '\n') });
    await page.getByText('From "foreign.jsonl": 1 vote added.').waitFor({ timeout: 30_000 });
    await page.getByText('3 votes stored in this browser.').waitFor({ timeout: 30_000 });
    await expect.poll(() => notes.allTextContents(), { timeout: 30_000 }).toEqual([
      'This vote was made with model "vidlet-other" (sha256 abababababab…), but the installed model is "vidlet-tiny": load "vidlet-other" to make its takes again.',
    ]);
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
