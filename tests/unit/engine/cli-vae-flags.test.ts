/**
 * `vidlet generate --vae-graphs / --vae-tiling / --vae-memory-budget` (#11): each sets its field of
 * the engine's vaeDecode option, and a bad value is a usage error that names the flag and the fix.
 */
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../../src/cli/args';
import { framesLine } from '../../../src/cli/progress';
import { vaeDecodeLine, vaeFlagsText, withVaeFlags } from '../../../src/cli/vae-flags';
import { ModelLoadError } from '../../../src/engine/errors';

const vae = (...flags: string[]) => {
  const o = parseCli(['generate', '--prompt', 'p', ...flags]);
  if (o.command !== 'generate') throw new Error('expected generate');
  return o.vaeDecode;
};
const usage = (...flags: string[]) => {
  try {
    vae(...flags);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('the --vae-* flags', () => {
  it('set the engine option field by field; none given leaves the engine its defaults', () => {
    expect(vae()).toBeUndefined();
    expect(vae('--vae-graphs', 'frames')).toEqual({ graphs: 'frames' });
    expect(vae('--vae-graphs=whole', '--vae-tiling', 'off')).toEqual({ graphs: 'whole', tiling: 'off' });
    expect(vae('--vae-tiling', '32,8')).toEqual({ tiling: { tile: 32, overlap: 8 } });
    expect(vae('--vae-tiling', ' 32 , 0 ')).toEqual({ tiling: { tile: 32, overlap: 0 } });
    expect(vae('--vae-memory-budget', '512')).toEqual({ memoryBudgetBytes: 512 * 2 ** 20 });
    expect(vae('--vae-tiling', 'auto', '--vae-memory-budget', '0.5')).toEqual({ tiling: 'auto', memoryBudgetBytes: 2 ** 19 });
  });

  it('a bad value names the flag, what it takes and what it got', () => {
    expect(usage('--vae-graphs', 'tiles')).toBe(
      '--vae-graphs must be one of auto, whole, frames, got "tiles" (frames: the package\'s frame-by-frame decoder; whole: the one-call decoder).',
    );
    expect(usage('--vae-tiling', '32')).toBe('--vae-tiling must be auto, off, or TILE,OVERLAP in latent pixels (e.g. 32,8), got "32".');
    expect(usage('--vae-tiling', '32x8')).toMatch(/got "32x8"/);
    expect(usage('--vae-tiling', '8,4')).toBe(
      "--vae-tiling 8,4: the overlap must be less than half the tile (8), or tiles would not advance past their neighbours' overlap.",
    );
    expect(usage('--vae-tiling', '1,0')).toBe('--vae-tiling 1,0: the tile must be an integer of at least 2 (latent pixels).');
    expect(usage('--vae-memory-budget', '0')).toBe('--vae-memory-budget must be a positive number of MiB, got 0.');
    expect(usage('--vae-memory-budget', 'lots')).toBe('--vae-memory-budget must be a number, got "lots".');
    expect(usage('--vae-tiling')).toBe('--vae-tiling needs a value.');
  });

  it('a budget beside tiles fixed by --vae-tiling is refused, not silently ignored', () => {
    expect(usage('--vae-tiling', '32,8', '--vae-memory-budget', '256')).toBe(
      '--vae-memory-budget sizes the tiles when --vae-tiling is auto (the default), but --vae-tiling 32,8 already decides them: give one of the two.',
    );
    expect(usage('--vae-tiling', 'off', '--vae-memory-budget', '256')).toMatch(/--vae-tiling off already decides them/);
  });

  it('bench does not take them', () => {
    expect(() => parseCli(['bench', '--vae-graphs', 'frames'])).toThrow(/Unknown flag --vae-graphs for vidlet bench/);
  });
});

describe('what the CLI says about the decode', () => {
  it('the status lines', () => {
    expect(vaeDecodeLine({ graphs: 'frames', tiling: { tile: 32, overlap: 8 } })).toBe('VAE decode: frame by frame, 32×32 latent tiles overlapping 8');
    expect(vaeDecodeLine({ graphs: 'whole', tiling: null })).toBe('VAE decode: whole clip in one call, no tiling');
    expect(framesLine(0, 5, 9)).toBe('decoding frames 1–5 of 9');
    expect(framesLine(5, 1, 9)).toBe('decoding frame 6 of 9');
    expect(framesLine(5, 4, 6)).toBe('decoding frames 6–9 of 9'); // more came than expected
  });

  it('a VAE load failure under the flags names them; other errors pass unchanged', () => {
    const o = vae('--vae-graphs', 'frames', '--vae-memory-budget', '64')!;
    expect(vaeFlagsText(o)).toBe('--vae-graphs frames --vae-memory-budget 64');
    const refused = new ModelLoadError('tiny has no frame-by-frame VAE decoder (manifest.vaeDecoderFrames); decode with the whole-clip graph.', { component: 'vaeDecoder' });
    expect((withVaeFlags(refused, o) as Error).message).toBe(
      'tiny has no frame-by-frame VAE decoder (manifest.vaeDecoderFrames); decode with the whole-clip graph. ' +
        '(The VAE decode was set by --vae-graphs frames --vae-memory-budget 64; without the --vae-* flags the package decides.)',
    );
    const other = new ModelLoadError('denoiser.onnx is not a graph.', { component: 'denoiser' });
    expect(withVaeFlags(other, o)).toBe(other);
    expect((withVaeFlags(other, o) as Error).message).toBe('denoiser.onnx is not a graph.');
    const unflagged = new ModelLoadError('x', { component: 'vaeDecoder' });
    expect((withVaeFlags(unflagged, undefined) as Error).message).toBe('x');
  });
});
