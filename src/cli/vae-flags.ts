/**
 * `vidlet generate`'s flags for how the VAE decodes (issue #11), named after the engine option they
 * set, VidletEngineOptions.vaeDecode (src/engine/load-plan.ts VaeDecodeOptions; docs/model-package.md
 * "Decoding in pieces"): --vae-graphs → graphs, --vae-tiling → tiling, --vae-memory-budget →
 * memoryBudgetBytes. Pure: flag values in, the option or a UsageError naming the flag out.
 */
import type { VaeDecodeOptions } from '../engine/load-plan';
import { tilingProblems } from '../package/vae-decode';

export const VAE_GRAPHS = ['auto', 'whole', 'frames'] as const;

/** --vae-memory-budget is in MiB: a decode's working memory is hundreds of them for a real model. */
const MIB = 2 ** 20;

export class VaeFlagError extends Error {
  override name = 'VaeFlagError';
}

/** The engine's vaeDecode option from the three flags (each undefined when not given); undefined when none is. */
export function parseVaeFlags(flags: { graphs?: string; tiling?: string; budgetMib?: number }): VaeDecodeOptions | undefined {
  const out: VaeDecodeOptions = {};
  if (flags.graphs !== undefined) {
    if (!VAE_GRAPHS.includes(flags.graphs as (typeof VAE_GRAPHS)[number])) {
      throw new VaeFlagError(`--vae-graphs must be one of ${VAE_GRAPHS.join(', ')}, got "${flags.graphs}" (frames: the package's frame-by-frame decoder; whole: the one-call decoder).`);
    }
    out.graphs = flags.graphs as (typeof VAE_GRAPHS)[number];
  }
  if (flags.tiling !== undefined) out.tiling = parseTiling(flags.tiling);
  if (flags.budgetMib !== undefined) {
    const mib = flags.budgetMib;
    if (!(mib > 0) || !Number.isFinite(mib)) throw new VaeFlagError(`--vae-memory-budget must be a positive number of MiB, got ${mib}.`);
    // The engine takes the budget only to size tiles it chooses itself: beside fixed tiles it would be silently ignored.
    if (out.tiling !== undefined && out.tiling !== 'auto') {
      throw new VaeFlagError(`--vae-memory-budget sizes the tiles when --vae-tiling is auto (the default), but --vae-tiling ${flags.tiling} already decides them: give one of the two.`);
    }
    out.memoryBudgetBytes = Math.round(mib * MIB);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `auto`, `off`, or `TILE,OVERLAP` in latent pixels (the converter's --vae-tiling form). */
function parseTiling(text: string): NonNullable<VaeDecodeOptions['tiling']> {
  const value = text.trim();
  if (value === 'auto' || value === 'off') return value;
  const m = /^(\d+)\s*,\s*(\d+)$/.exec(value);
  if (!m) {
    throw new VaeFlagError(`--vae-tiling must be auto, off, or TILE,OVERLAP in latent pixels (e.g. 32,8), got "${text}".`);
  }
  const tiling = { tile: Number(m[1]), overlap: Number(m[2]) };
  const problems = tilingProblems(tiling);
  if (problems.length > 0) throw new VaeFlagError(`--vae-tiling ${value}: ${problems.map(([field, p]) => `the ${field} ${p}`).join('; ')}.`);
  return tiling;
}

/** The flags that made `o`, as typed: "--vae-graphs frames --vae-tiling 32,8". */
export function vaeFlagsText(o: VaeDecodeOptions): string {
  const t = o.tiling;
  return [
    o.graphs !== undefined ? `--vae-graphs ${o.graphs}` : '',
    t !== undefined ? `--vae-tiling ${typeof t === 'object' ? `${t.tile},${t.overlap}` : t}` : '',
    o.memoryBudgetBytes !== undefined ? `--vae-memory-budget ${o.memoryBudgetBytes / MIB}` : '',
  ].filter(Boolean).join(' ');
}

/**
 * A load failure of the VAE decoder while --vae-* flags were given gets them named (the engine's
 * message speaks of its vaeDecode option, which a CLI user never wrote); other errors pass as they are.
 */
export function withVaeFlags(error: unknown, o: VaeDecodeOptions | undefined): unknown {
  const e = error as Error & { details?: { component?: unknown } };
  if (!o || !(e instanceof Error) || e.details?.component !== 'vaeDecoder') return error;
  e.message = `${e.message} (The VAE decode was set by ${vaeFlagsText(o)}; without the --vae-* flags the package decides.)`;
  return e;
}

/** How a load decodes, for the status line after loading: "VAE: frame by frame, 32×32 latent tiles overlapping 8". */
export function vaeDecodeLine(d: { graphs: 'whole' | 'frames'; tiling: { tile: number; overlap: number } | null }): string {
  const graphs = d.graphs === 'frames' ? 'frame by frame' : 'whole clip in one call';
  const tiles = d.tiling ? `, ${d.tiling.tile}×${d.tiling.tile} latent tiles overlapping ${d.tiling.overlap}` : ', no tiling';
  return `VAE decode: ${graphs}${tiles}`;
}
