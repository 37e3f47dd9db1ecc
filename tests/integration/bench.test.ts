/** `vidlet bench` on the shipped model, minimal: both runtimes load, every component is timed. */
import { describe, expect, it } from 'vitest';
import { formatBenchTable, median, runBench } from '../../src/cli/bench';
import { DEFAULT_MODEL_DIR } from '../../src/cli/args';
import { available, SHIPPED_MODEL } from '../prerequisites';

describe('median', () => {
  it('of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe.runIf(available(SHIPPED_MODEL, 'vidlet bench'))('vidlet bench', () => {
  it('times every component on onnxruntime-web and onnxruntime-node at the real batch', async () => {
    const r = await runBench(
      { command: 'bench', model: DEFAULT_MODEL_DIR, json: true, threads: 1, backend: 'auto', variant: 'auto', steps: 2, repeats: 1 },
      () => {},
    );
    expect(r.rows.map((x) => x.component)).toEqual(['textEncoder', 'denoiser', 'previewDecoder', 'vaeDecoder', 'generation']);
    const row = (c: string) => r.rows.find((x) => x.component === c)!;
    expect(row('denoiser').batch).toBe(3); // the manifest's default guidance + Inner-Guidance
    expect(row('denoiser').calls).toBe(2);
    expect(row('textEncoder').batch).toBe(2); // prompt + negative
    for (const x of r.rows) {
      expect(x.oursMs).toBeGreaterThan(0);
      expect(x.nativeMs).toBeGreaterThan(0);
      expect(Number.isFinite(x.ratio)).toBe(true);
    }
    expect(r.native).toMatch(/onnxruntime-node/);
    expect(formatBenchTable(r)).toMatch(/ours\/native/);
  });
});
