/**
 * `vidlet bench` without onnxruntime-node (a dev dependency, absent after `npm install
 * --omit=dev`): it refuses before loading anything, naming the package and what to run, not with
 * a bare module-resolution error.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseCli, type BenchOptions } from '../../../src/cli/args';
import { runBench } from '../../../src/cli/bench';

vi.mock('onnxruntime-node', () => {
  throw new Error("Cannot find package 'onnxruntime-node' imported from src/cli/bench.ts");
});

describe('vidlet bench without onnxruntime-node', () => {
  it('says it needs the dev dependency and how to get it', async () => {
    const error = await runBench(parseCli(['bench', '--repeats', '1']) as BenchOptions, () => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^vidlet bench compares with onnxruntime-node, a development dependency this install does not have \(.+\)\. Run npm install in the repository \(with dev dependencies\) to add it; vidlet generate does not need it\.$/);
  });
});
