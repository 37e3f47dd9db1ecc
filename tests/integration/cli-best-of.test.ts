/**
 * `vidlet generate --best-of N` as a user runs it (a child process): on a package without a reward
 * model (the shipped one with it taken out, helpers/reward-package.ts) it stops before any take with
 * what to do; on the shipped model, whose trained reward model ranks the takes, it writes the best
 * take and prints every take's scores, ranked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restoreSettings } from '../../src/media';
import { available, SHIPPED_MODEL } from '../prerequisites';
import { makePackageWithoutReward, SHIPPED } from './helpers/reward-package';

const TITLE = 'vidlet generate --best-of';
const dir = mkdtempSync(join(tmpdir(), 'vidlet-best-of-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vidlet(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vidlet.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(available(SHIPPED_MODEL, TITLE))(TITLE, () => {
  it('on a model without a reward model: exit 1 before any take, saying so and what to do', () => {
    const out = join(dir, 'none.gif');
    const plain = makePackageWithoutReward();
    let r: ReturnType<typeof vidlet>;
    try {
      r = vidlet(['generate', '--prompt', 'a red ball', '--best-of', '3', '--steps', '1', '--model', plain.dir, '--out', out, '--threads', '1']);
    } finally {
      plain.remove();
    }
    // 1, as for every refusal after the model has loaded (main.ts gives 2 to flags refused before it).
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/--best-of: the model "[^"]+" has no reward model/);
    expect(r.stderr).toMatch(/Run without --best-of/);
    expect(r.stderr).not.toMatch(/step 1\/1/);
    expect(existsSync(out)).toBe(false);
  });

  it('on the shipped model: N takes from seed, seed+1, …, ranked by its reward model, the best written', async () => {
    const out = join(dir, 'best.zip');
    const r = vidlet([
      'generate', '--prompt', 'a red circle moves left on a blue background', '--seed', '20', '--steps', '1',
      '--best-of', '3', '--rank-by', 'vq', '--model', SHIPPED, '--out', out, '--json', '--threads', '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    const takes = summary.bestOf.takes as { rank: number; seed: number; VQ: number; MQ: number; TA: number; overall: number }[];
    expect(summary.bestOf.rankBy).toBe('vq');
    expect(takes.map((t) => t.rank)).toEqual([1, 2, 3]);
    expect(takes.map((t) => t.seed).sort()).toEqual([20, 21, 22]);
    for (let i = 1; i < takes.length; i++) expect(takes[i - 1]!.VQ).toBeGreaterThanOrEqual(takes[i]!.VQ);
    for (const t of takes) expect(t.overall).toBeCloseTo(t.VQ + t.MQ + t.TA, 5);
    expect(r.stderr).toMatch(/take 1\/3, seed 20\n[\s\S]*take 3\/3, seed 22/);
    expect(r.stderr).toMatch(/best of 3 by VQ/);
    expect(r.stderr).toContain(`→ ${out}`);
    // The written clip is the best take's.
    expect(summary.settings.seed).toBe(takes[0]!.seed);
    expect((await restoreSettings(new Uint8Array(readFileSync(out)))).settings.seed).toBe(takes[0]!.seed);
  });
});
