/**
 * The taste panel in Chromium, on a fresh profile and with no model loaded (the votes carry their
 * takes' reward features, so fitting needs no model): votes without features are counted and the
 * panel says no head can be fitted on them; 40 scored votes imported as JSONL are fitted at once,
 * with a held-out accuracy beside chance and always-tie; off survives a reload; Reset forgets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK_SETTINGS } from '../../src/app/data/generation-settings';
import { isHeldOut } from '../../src/votes/taste-head';
import { TASTE_MIN_VOTES, TASTE_SPLIT } from '../../src/votes/taste-votes';
import { votesToJsonl, type VoteRecord } from '../../src/votes/vote-record';
import { startApp, type App } from './harness';

const PROMPT = 'a red ball bouncing on a blue background';
const MODEL_HASH = '5e'.repeat(32);

/**
 * n votes from one person whose taste is the first reward feature: the take with the larger one
 * wins when they differ by more than 1.5, else a tie. Features are 8 long, the rest is noise.
 */
function votes(n: number, prefix: string, withFeatures: boolean): VoteRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const x = ((i * 7) % 13) - 6;
    const noise = (k: number) => Math.sin(i * 12.9898 + k * 78.233) * 0.5;
    const take = (seed: number, first: number) => ({
      settings: { ...FALLBACK_SETTINGS, prompt: PROMPT, seed },
      adapterHashes: {},
      ...(withFeatures ? { features: [first, ...Array.from({ length: 7 }, (_, k) => noise(k + seed))] } : {}),
    });
    return {
      version: 1,
      id: `${prefix}-${i}`,
      createdAt: Date.now() - 60_000 + i,
      prompt: PROMPT,
      negative: '',
      model: 'vidlet-tiny',
      modelHash: MODEL_HASH,
      variant: 'int8',
      a: take(2 * i, x),
      b: take(2 * i + 1, 0),
      outcomes: { overall: x > 1.5 ? 'A' : x < -1.5 ? 'B' : 'tie' },
    };
  });
}

let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

async function importVotes(records: VoteRecord[], name: string) {
  await app.page.locator('vidlet-votes-panel input[type=file]').setInputFiles({ name, mimeType: 'application/jsonl', buffer: Buffer.from(votesToJsonl(records)) });
}

describe('Taste panel in Chromium', () => {
  it('fits on imported scored votes, shows held-out accuracy, turns off over a reload and resets', { timeout: 300_000 }, async () => {
    const { page } = app;
    const panel = page.locator('vidlet-taste-panel');
    await panel.getByText(`No votes yet: ${TASTE_MIN_VOTES} are needed.`).waitFor({ timeout: 30_000 });

    await importVotes(votes(25, 'plain', false), 'unscored.jsonl');
    await page.getByText('25 votes stored in this browser.').waitFor({ timeout: 30_000 });
    await panel.getByText("None of the 25 votes has the reward model's features (their model has no reward model, so its takes were not scored): no taste head can be fitted on them.").waitFor();

    const scored = votes(40, 'scored', true);
    await importVotes(scored, 'scored.jsonl');
    await page.getByText('65 votes stored in this browser.').waitFor({ timeout: 30_000 });
    const held = scored.filter((v) => isHeldOut(v.id, TASTE_SPLIT.heldOutFraction, TASTE_SPLIT.splitSeed));
    const ties = held.filter((v) => v.outcomes.overall === 'tie').length;
    await panel.getByText(`Fitted on 40 votes of vidlet-tiny (${40 - held.length} to learn from, ${held.length} held out)`).waitFor({ timeout: 30_000 });
    const accuracy = (await panel.locator('.accuracy').textContent())!.replace(/\s+/g, ' ').trim();
    const shown = accuracy.match(/^Held-out accuracy (\d+)% on (\d+) votes · chance 33% · always tie (\d+)%$/);
    expect(shown, accuracy).not.toBeNull();
    expect(Number(shown![2])).toBe(held.length);
    expect(Number(shown![3])).toBe(Math.round((ties / held.length) * 100));
    // The taste is plain in these votes: the head predicts most held-out votes, far above chance.
    expect(Number(shown![1])).toBeGreaterThanOrEqual(70);
    const fitMs = Number((await panel.locator('.fitted').textContent())!.match(/in <?(\d+) ms/)![1]);
    expect(fitMs).toBeLessThan(1000);

    await panel.getByRole('checkbox', { name: 'Rank takes by my taste' }).uncheck();
    await panel.getByText('Off: takes are ranked by the reward model alone. Your fitted head is kept.').waitFor();
    await page.reload();
    await page.waitForFunction(() => 'vidlet' in window);
    await page.locator('vidlet-taste-panel').getByText('Off: takes are ranked by the reward model alone. Your fitted head is kept.').waitFor({ timeout: 30_000 });
    expect(await page.locator('vidlet-taste-panel').getByRole('checkbox', { name: 'Rank takes by my taste' }).isChecked()).toBe(false);

    // On again: the saved head matches the votes, so its numbers come back without a refit.
    await page.locator('vidlet-taste-panel').getByRole('checkbox', { name: 'Rank takes by my taste' }).check();
    const again = page.locator('vidlet-taste-panel .accuracy');
    await again.waitFor({ timeout: 30_000 });
    expect((await again.textContent())!.replace(/\s+/g, ' ').trim()).toBe(accuracy);

    await page.locator('vidlet-taste-panel').getByRole('button', { name: 'Reset taste' }).click();
    await page.locator('vidlet-taste-panel').getByText(`No votes since the taste was reset: ${TASTE_MIN_VOTES} are needed.`).waitFor();
    expect(await page.locator('vidlet-taste-panel .accuracy').count()).toBe(0);
    await page.getByText('65 votes stored in this browser.').waitFor(); // a reset keeps the votes
  });
});
