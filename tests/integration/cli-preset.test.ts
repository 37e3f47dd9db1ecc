/**
 * `vidlet generate --preset NAME` as a user runs it (a child process) on the converted tiny Wan package with
 * two presets (tests/fixtures/wan-tiny-presets: default 9 frames of 32×32, "big" 13 frames of 64×48): the
 * clip has the preset's size, the frame-by-frame decoder reports its frames, --json says the preset; a name
 * the package lacks is refused listing its presets, before any step, and so is a preset whose attention
 * scores do not fit beside the weights in WebAssembly memory (src/package/attention-fit.ts: the engine's words).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PACKAGE = 'tests/fixtures/wan-tiny-presets';
const dir = mkdtempSync(join(tmpdir(), 'vidlet-cli-preset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vidlet(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vidlet.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vidlet generate --preset', () => {
  it('makes the named preset’s clip', () => {
    const r = vidlet([
      'generate', '--prompt', 'a red ball on the beach', '--model', PACKAGE, '--seed', '3', '--steps', '2', '--threads', '1',
      '--preset', 'big', '--out', join(dir, 'big.zip'), '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('preset big');
    // 4 latent frames: video frames 1–5 from the first call, then 4 per next call
    expect(r.stderr).toMatch(/decoding frames 1–5 of 13[\s\S]*decoding frames 10–13 of 13/);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.preset).toBe('big');
    expect(summary.settings).toMatchObject({ frames: 13, width: 64, height: 48 });
  }, 240_000);

  it('makes the default without --preset', () => {
    const r = vidlet(['generate', '--prompt', 'a red ball', '--model', PACKAGE, '--seed', '3', '--steps', '1', '--threads', '1', '--out', join(dir, 'default.zip'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.preset).toBe('9x32x32');
    expect(summary.settings).toMatchObject({ frames: 9, width: 32, height: 32 });
  }, 240_000);

  it('refuses a preset the package does not have, listing its presets', () => {
    const r = vidlet(['generate', '--prompt', 'a red ball', '--model', PACKAGE, '--steps', '1', '--threads', '1', '--preset', 'huge', '--out', join(dir, 'x.zip')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--preset huge: wan-tiny-presets has no such preset; it has 9x32x32: 9 frames of 32×32; big: 13 frames of 64×48.');
    expect(r.stderr).not.toMatch(/step 1/i);
  }, 240_000);

  it('refuses a preset whose attention scores do not fit WebAssembly memory beside the weights, in the engine’s words, before any step', () => {
    // the fixture with "big" claiming 8.4 GB of scores for the CFG pair (4.2 GB at one pass: that would fit)
    const pkg = join(dir, 'wan-tiny-huge-attention');
    mkdirSync(pkg);
    for (const f of readdirSync(PACKAGE)) if (f !== 'manifest.json') symlinkSync(resolve(PACKAGE, f), join(pkg, f));
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'manifest.json'), 'utf8'));
    manifest.presets.sizes.find((s: { name: string }) => s.name === 'big').attentionScoresBytes = 8.4e9;
    writeFileSync(join(pkg, 'manifest.json'), JSON.stringify(manifest));
    const r = vidlet(['generate', '--prompt', 'a red ball', '--model', pkg, '--steps', '1', '--threads', '1', '--preset', 'big', '--out', join(dir, 'huge.zip')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /InvalidRequestError: preset big \(13 frames of 64×48\) needs 8\.40 GB in one buffer for one attention step \(its scores, 2 passes per step\), but the 4\.29 GB WebAssembly memory has only 4\.2\d GB left beside the model's [\d.]+ [KM]B of weights; choose a smaller size, or fewer guidance passes \(guidance 1: one pass per step needs 4\.20 GB\)\./,
    );
    expect(r.stderr).not.toMatch(/step 1/i);
  }, 240_000);
});
