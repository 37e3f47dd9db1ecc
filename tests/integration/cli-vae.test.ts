/**
 * `vidlet generate --vae-graphs / --vae-tiling / --vae-memory-budget` as a user runs them (a child
 * process): on the converted tiny Wan package (tests/fixtures/wan-tiny, a frame-by-frame decoder) the
 * flags reach the engine, which says how it decodes and which frames it is decoding; a flag the
 * package cannot follow fails naming the flag (a memory budget on a package that gives no memory per
 * latent pixel included); a bad value exits 2 before anything loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { available, SHIPPED_MODEL } from '../prerequisites';

const WAN = 'tests/fixtures/wan-tiny';
const dir = mkdtempSync(join(tmpdir(), 'vidlet-cli-vae-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vidlet(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vidlet.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vidlet generate --vae-* flags', () => {
  it('frame by frame over tiles on the tiny Wan package: said after loading, each group reported, in --json', () => {
    const out = join(dir, 'wan.zip');
    const r = vidlet([
      'generate', '--prompt', 'a red ball on the beach', '--model', WAN, '--seed', '3', '--steps', '2', '--threads', '1',
      '--vae-graphs', 'frames', '--vae-tiling', '3,1', '--out', out, '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('VAE decode: frame by frame, 3×3 latent tiles overlapping 1');
    // 3 latent frames: video frames 1–5 from the first call, 6–9 from the next
    expect(r.stderr).toMatch(/decoding frames 1–5 of 9[\s\S]*decoding frames 6–9 of 9/);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.vaeDecode).toEqual({ graphs: 'frames', tiling: { tile: 3, overlap: 1 } });
    expect(existsSync(out)).toBe(true);
  }, 240_000);

  it('--vae-graphs whole: one call, no decoding lines', () => {
    const r = vidlet([
      'generate', '--prompt', 'a red ball', '--model', WAN, '--seed', '3', '--steps', '1', '--threads', '1',
      '--vae-graphs', 'whole', '--vae-tiling', 'off', '--out', join(dir, 'whole.gif'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('VAE decode: whole clip in one call, no tiling');
    expect(r.stderr).not.toMatch(/decoding frames/);
  }, 240_000);

  it('--vae-memory-budget on a package without vaeTiling.bytesPerLatentPixel fails, saying why and naming the flag', () => {
    // The fixture with tiles (32, 8) but no bytesPerLatentPixel (the manifest rewritten beside links to its
    // files): nothing to size tiles by.
    const manifest = JSON.parse(readFileSync(join(WAN, 'manifest.json'), 'utf8'));
    expect(manifest.vaeTiling).toMatchObject({ tile: 32, overlap: 8 });
    delete manifest.vaeTiling.bytesPerLatentPixel;
    const pkg = join(dir, 'no-bytes-per-pixel');
    mkdirSync(pkg);
    for (const f of readdirSync(WAN)) if (f !== 'manifest.json') symlinkSync(resolve(WAN, f), join(pkg, f));
    writeFileSync(join(pkg, 'manifest.json'), JSON.stringify(manifest));
    const out = join(dir, 'budget.gif');
    const r = vidlet(['generate', '--prompt', 'a red ball', '--model', pkg, '--steps', '1', '--threads', '1', '--vae-memory-budget', '1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'ModelLoadError: A VAE memory budget of 1 MiB was asked for, but wan-tiny-fixture cannot be decoded to a budget: ' +
        'its vaeTiling gives tiles of 32 overlapping 8 but no bytesPerLatentPixel',
    );
    expect(r.stderr).toContain('The VAE decode was set by --vae-memory-budget 1; without the --vae-* flags the package decides.');
    // Refused before the model's files are read or anything is generated.
    expect(r.stderr).not.toMatch(/VAE decode: |step 1/);
    expect(existsSync(out)).toBe(false);
  }, 240_000);

  it('a bad value exits 2 naming the flag, before the model loads', () => {
    const r = vidlet(['generate', '--prompt', 'x', '--model', join(dir, 'no-such-model'), '--vae-tiling', '8,4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vae-tiling 8,4: the overlap must be less than half the tile/);
  });

  it.runIf(available(SHIPPED_MODEL, 'the --vae-graphs frames refusal on the shipped model'))(
    '--vae-graphs frames on a package without the frame-by-frame pair fails, naming the flag',
    () => {
      const out = join(dir, 'refused.gif');
      const r = vidlet(['generate', '--prompt', 'a red ball', '--vae-graphs', 'frames', '--out', out, '--threads', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ModelLoadError: .*has no frame-by-frame VAE decoder .*The VAE decode was set by --vae-graphs frames; without the --vae-\* flags the package decides\./);
      expect(existsSync(out)).toBe(false);
    },
    240_000,
  );
});
