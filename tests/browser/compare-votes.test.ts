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
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fillForm, startServer, type App, type Server } from './harness';

const PROMPT = 'a red ball bouncing on a blue background';
/** Downloads the model into a fresh profile and makes two takes: minutes on a busy machine. */
const CASE_TIMEOUT = 900_000;
const MANIFEST_SHA256 = createHash('sha256').update(readFileSync('public/models/vidlet-tiny/manifest.json')).digest('hex');
const PIP_SHA256 = createHash('sha256').update(readFileSync('public/models/vidlet-tiny/adapters/pip.safetensors')).digest('hex');
const COLUMNS = ['VQ', 'MQ', 'TA', 'Overall'] as const;
type ModelWindow = { vidlet: { session: { model: { value: { kind: string } } } } };

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
  it('makes 2 takes with an adapter, votes by keyboard and by one click, keeps the votes over a reload and exports them as JSONL', { timeout: CASE_TIMEOUT }, async () => {
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

    // A column header sorts the rows by that column, best first.
    const table = page.locator('vidlet-compare-takes table.scores');
    const orders = new Set<string>();
    for (const [i, column] of COLUMNS.entries()) {
      await table.getByRole('button', { name: column, exact: true }).click();
      await expect(table.locator('th button.on').textContent()).resolves.toBe(column);
      const shown = await table.locator('tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
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
});
