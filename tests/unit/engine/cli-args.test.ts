import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, parseCli, parseLora, UsageError } from '../../../src/cli/args';
import { buildRequest, stepsRefusal } from '../../../src/cli/generate';
import type { ModelInfo } from '../../../src/engine/types';

describe('vidlet CLI arguments', () => {
  it('parses generate with every flag', () => {
    const o = parseCli([
      'generate', '--prompt', 'a red ball', '--negative=blurry', '--seed', '42', '--steps', '8', '--guidance', '7.5',
      '--inner-guidance', '0', '--contrast', '2.5', '--sampler', 'heun', '--model', 'x/y', '--out', 'frames.zip', '--json', '--threads', '2', '--decode-motion',
    ]);
    expect(o).toMatchObject({
      command: 'generate', prompt: 'a red ball', negative: 'blurry', seed: 42, steps: 8, guidance: 7.5, innerGuidance: 0,
      contrast: 2.5, sampler: 'heun', model: 'x/y', out: 'frames.zip', json: true, threads: 2, decodeMotion: true,
    });
  });

  it('leaves unset settings for the manifest defaults', () => {
    const o = parseCli(['generate', '--prompt', 'p']);
    expect(o).toMatchObject({ model: DEFAULT_MODEL_DIR, out: 'clip.mp4', json: false });
    const info = { defaults: { steps: 20, guidance: 5, innerGuidance: 3, contrast: 1.5, sampler: 'euler' } } as ModelInfo;
    if (o.command !== 'generate') throw new Error('expected generate');
    expect(buildRequest(o, info, () => 99)).toEqual({ prompt: 'p', seed: 99, steps: 20, guidance: 5, innerGuidance: 3, contrast: 1.5, sampler: 'euler' });
  });

  it('--contrast over the manifest default, within the request limit', () => {
    const info = { defaults: { steps: 20, guidance: 5, innerGuidance: 3, contrast: 1.5, sampler: 'euler' } } as ModelInfo;
    const o = parseCli(['generate', '--prompt', 'p', '--contrast', '0']);
    if (o.command !== 'generate') throw new Error('expected generate');
    expect(buildRequest(o, info, () => 1).contrast).toBe(0);
    expect(() => parseCli(['generate', '--prompt', 'p', '--contrast', '-1'])).toThrow('--contrast must be a number from 0 to 30 (0 = off), got -1.');
    expect(() => parseCli(['generate', '--prompt', 'p', '--contrast', 'lots'])).toThrow('--contrast must be a number, got "lots".');
  });

  it('--steps on a model with a fixed sigma list: its count or nothing; another count is refused with the reason', () => {
    const distilled = { fixedSteps: 8, defaults: { steps: 8, guidance: 1, innerGuidance: 0, sampler: 'x0-renoise' } } as ModelInfo;
    expect(stepsRefusal(undefined, distilled)).toBeUndefined();
    expect(stepsRefusal(8, distilled)).toBeUndefined();
    expect(stepsRefusal(20, distilled)).toBe(
      "--steps must be 8 for this model, got 20. This model was distilled to sample on a fixed list of 8 noise levels (its manifest's schedule.sigmas), so it always takes 8 steps. Leave --steps out to take it.",
    );
    expect(stepsRefusal(20, { ...distilled, fixedSteps: undefined })).toBeUndefined();
    const o = parseCli(['generate', '--prompt', 'p', '--sampler', 'x0-renoise']);
    if (o.command !== 'generate') throw new Error('expected generate');
    expect(buildRequest(o, distilled, () => 1)).toMatchObject({ steps: 8, guidance: 1, sampler: 'x0-renoise' });
  });

  it('--lora takes a name or a .safetensors path, each with an optional strength', () => {
    expect(parseLora('pip')).toEqual({ name: 'pip' });
    expect(parseLora('pip:0.5')).toEqual({ name: 'pip', strength: 0.5 });
    expect(parseLora('my.safetensors')).toEqual({ name: '', file: 'my.safetensors' });
    expect(parseLora('dir/my.safetensors:0.8')).toEqual({ name: '', file: 'dir/my.safetensors', strength: 0.8 });
    expect(parseLora('C:\\ads\\Pip.SAFETENSORS:1.5')).toEqual({ name: '', file: 'C:\\ads\\Pip.SAFETENSORS', strength: 1.5 });
    expect(() => parseLora('dir/my.safetensors:lots')).toThrow(UsageError);
    expect(() => parseLora('dir/my.bin')).toThrow(/must name a \.safetensors file/);
    const o = parseCli(['generate', '--prompt', 'p', '--lora', 'a/x.safetensors:0.3', '--lora', 'pip']);
    if (o.command !== 'generate') throw new Error('expected generate');
    o.loras[0]!.name = 'x'; // what generate does once the engine has read the file's description
    const info = { defaults: { steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' } } as ModelInfo;
    expect(buildRequest(o, info, () => 1).adapters).toEqual([{ name: 'x', strength: 0.3 }, { name: 'pip' }]);
  });

  it('the StageBlender table\'s own pair defaults to --blend dualreal; --blend constant and other adapters stay constant', () => {
    const info = {
      defaults: { steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' },
      blender: { identity: 'pip', motion: 'figure-eight', c: 2, groups: [[0]], timesteps: [0], alpha: [[1]] },
    } as unknown as ModelInfo;
    const request = (...args: string[]) => {
      const o = parseCli(['generate', '--prompt', 'p', ...args]);
      if (o.command !== 'generate') throw new Error('expected generate');
      return buildRequest(o, info, () => 1);
    };
    expect(request('--lora', 'pip', '--lora', 'figure-eight').blend).toBe('dualreal');
    expect(request('--lora', 'pip', '--lora', 'figure-eight', '--blend', 'constant').blend).toBe('constant');
    expect(request('--lora', 'pip').blend).toBeUndefined();
    expect(request('--lora', 'pip', '--lora', 'other').blend).toBeUndefined();
    expect(buildRequest(parseCli(['generate', '--prompt', 'p', '--lora', 'pip', '--lora', 'figure-eight']) as never, { ...info, blender: undefined }, () => 1).blend).toBeUndefined();
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

  it('refuses a request the engine would refuse before anything is loaded, saying what is allowed', () => {
    // Formerly accepted: the whole clip was generated and then the export refused the seed.
    expect(() => parseCli(['generate', '--prompt', 'a red star', '--seed', '-3', '--out', 'x.mp4'])).toThrow(
      new UsageError('--seed must be a whole number from 0 to 4294967295, got -3.'),
    );
    expect(() => parseCli(['generate', '--prompt', 'p', '--seed=4294967296'])).toThrow(/--seed must be a whole number from 0 to 4294967295/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--steps', '201'])).toThrow('--steps must be a whole number from 1 to 200, got 201.');
    expect(() => parseCli(['bench', '--steps', '0'])).toThrow(/--steps must be a whole number from 1 to 200/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--guidance', '0.5'])).toThrow(/--guidance must be a number from 1 to 30 \(1 = no text guidance\), got 0.5/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--inner-guidance', '-1'])).toThrow(/--inner-guidance must be a number from 0 to 30 \(0 = off\)/);
    expect(() => parseCli(['generate', '--prompt', 'p', '--lora', 'pip:9'])).toThrow(/--lora "pip:9": the strength must be a number from -4 to 4/);
    expect(parseCli(['generate', '--prompt', 'p', '--seed', '4294967295', '--steps', '200'])).toMatchObject({ seed: 4294967295, steps: 200 });
    expect(parseCli(['generate', '--prompt', 'p', '--seed', '0'])).toMatchObject({ seed: 0 });
  });

  it('--keep-text-encoder asks the engine to keep a text encoder in parts loaded, for generate and bench; off unless given', () => {
    expect(parseCli(['generate', '--prompt', 'p', '--keep-text-encoder'])).toMatchObject({ keepTextEncoder: true });
    expect(parseCli(['bench', '--keep-text-encoder'])).toMatchObject({ command: 'bench', keepTextEncoder: true });
    expect(parseCli(['generate', '--prompt', 'p'])).not.toHaveProperty('keepTextEncoder');
    expect(() => parseCli(['generate', '--prompt', 'p', '--keep-text-encoder=yes'])).toThrow(/--keep-text-encoder takes no value/);
  });

  it('parses bench and help', () => {
    expect(parseCli(['bench', '--steps', '4', '--repeats', '2', '--json'])).toMatchObject({ command: 'bench', steps: 4, repeats: 2, json: true });
    expect(parseCli(['bench'])).toMatchObject({ command: 'bench', repeats: 5 });
    expect(parseCli([])).toEqual({ command: 'help' });
    expect(parseCli(['--help'])).toEqual({ command: 'help' });
  });
});
