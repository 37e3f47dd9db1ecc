import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, parseCli, UsageError } from '../../../src/cli/args';
import { buildRequest } from '../../../src/cli/generate';
import type { ModelInfo } from '../../../src/engine/types';

describe('vidlet CLI arguments', () => {
  it('parses generate with every flag', () => {
    const o = parseCli([
      'generate', '--prompt', 'a red ball', '--negative=blurry', '--seed', '42', '--steps', '8', '--guidance', '7.5',
      '--inner-guidance', '0', '--sampler', 'heun', '--model', 'x/y', '--out', 'frames.zip', '--json', '--threads', '2', '--decode-motion',
    ]);
    expect(o).toMatchObject({
      command: 'generate', prompt: 'a red ball', negative: 'blurry', seed: 42, steps: 8, guidance: 7.5, innerGuidance: 0,
      sampler: 'heun', model: 'x/y', out: 'frames.zip', json: true, threads: 2, decodeMotion: true,
    });
  });

  it('leaves unset settings for the manifest defaults', () => {
    const o = parseCli(['generate', '--prompt', 'p']);
    expect(o).toMatchObject({ model: DEFAULT_MODEL_DIR, out: 'clip.mp4', json: false });
    const info = { defaults: { steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' } } as ModelInfo;
    if (o.command !== 'generate') throw new Error('expected generate');
    expect(buildRequest(o, info, () => 99)).toEqual({ prompt: 'p', seed: 99, steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' });
  });

  it('refuses bad input with a message naming the flag', () => {
    expect(() => parseCli(['generate'])).toThrow(/--prompt/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--steps', 'many'])).toThrow(/--steps must be a number/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--seed', '1.5'])).toThrow(/whole number/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--sampler', 'ddim'])).toThrow(/--sampler must be one of/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--out', 'clip.avi'])).toThrow(/\.mp4, \.webm, \.gif or \.zip/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--colour', 'red'])).toThrow(/Unknown flag --colour/);
    expect(() => parseCli(['generate', '--prompt'])).toThrow(/needs a value/);
    expect(() => parseCli(['render'])).toThrow(UsageError);
  });

  it('parses bench and help', () => {
    expect(parseCli(['bench', '--steps', '4', '--repeats', '2', '--json'])).toMatchObject({ command: 'bench', steps: 4, repeats: 2, json: true });
    expect(parseCli(['bench'])).toMatchObject({ command: 'bench', repeats: 5 });
    expect(parseCli([])).toEqual({ command: 'help' });
    expect(parseCli(['--help'])).toEqual({ command: 'help' });
  });
});
