/**
 * runParts (src/engine/parts.ts): a component in parts (src/package/parts.ts) over fake sessions.
 * The feeds are wired by tensor name (part 0 the component's inputs under the manifest's names, a
 * later part whatever it declares among those and the previous part's outputs), each part's session
 * is released before the next is made, also when a run or a check fails, and a part taking what
 * nothing gives is a ModelFormatError naming its graph file.
 */
import { Tensor } from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { runParts, type PartsRun } from '../../../src/engine/parts';
import type { OrtSession, OrtTensor } from '../../../src/engine/sessions';
import type { Component, PackageFile } from '../../../src/store/types';

const component: Component = {
  inputs: { input_ids: 'ids', attention_mask: 'mask' },
  outputs: { hidden: 'last_hidden' },
  variants: {},
};
const file = (path: string): PackageFile => ({ path, bytes: 1, sha256: '0'.repeat(64) });
const PARTS = [
  [file('te/text_encoder.onnx'), file('te/text_encoder.onnx.data')],
  [file('te/text_encoder.part1.onnx')],
  [file('te/text_encoder.part2.onnx'), file('te/text_encoder.part2.onnx.data'), file('te/text_encoder.part2.onnx.1.data')],
];

interface FakePart {
  inputs: string[];
  outputs: string[];
  /** Throws from run. */
  fails?: string;
}

/** The converter's wiring: part 0 ids + mask → state0, part k state{k-1} + mask → state{k}, the last → last_hidden. */
function convertersParts(): FakePart[] {
  return [
    { inputs: ['ids', 'mask'], outputs: ['state0'] },
    { inputs: ['state0', 'mask'], outputs: ['state1'] },
    { inputs: ['state1', 'mask'], outputs: ['last_hidden'] },
  ];
}

/** A PartsRun over `fakes`, logging every read, creation, run (with its feeds) and release in order. */
function fakeRun(fakes: FakePart[]) {
  const log: string[] = [];
  const feedsSeen: Record<string, OrtTensor>[] = [];
  const outputs: Record<string, OrtTensor>[] = [];
  const run: PartsRun = {
    graph: { name: 'textEncoder', variant: 'q4', component, field: 'components.textEncoder' },
    parts: PARTS,
    roles: { inputs: ['input_ids', 'attention_mask'], outputs: ['hidden'] },
    read: async (files) => {
      log.push(`read ${files.map((f) => f.path).join(' ')}`);
      return files.map((f) => ({ path: f.path, data: new TextEncoder().encode(f.path) }));
    },
    open: async (files) => {
      const k = PARTS.findIndex((p) => p[0]!.path === files[0]!.path);
      const fake = fakes[k]!;
      log.push(`create ${k}`);
      return {
        inputNames: fake.inputs,
        outputNames: fake.outputs,
        run: async (feeds: Record<string, OrtTensor>) => {
          log.push(`run ${k}`);
          feedsSeen[k] = feeds;
          if (fake.fails) throw new Error(fake.fails);
          const out = Object.fromEntries(fake.outputs.map((n) => [n, new Tensor('float32', new Float32Array([k]), [1])]));
          outputs[k] = out;
          return out;
        },
        release: async () => void log.push(`release ${k}`),
      } as unknown as OrtSession;
    },
  };
  return { run, log, feedsSeen, outputs };
}

const ids = new Tensor('int64', new BigInt64Array([1n, 2n]), [1, 2]);
const mask = new Tensor('int64', new BigInt64Array([1n, 0n]), [1, 2]);

describe('runParts', () => {
  it("feeds part 0 the component's inputs by the manifest's names, each later part the previous outputs and the inputs it declares", async () => {
    const { run, feedsSeen, outputs } = fakeRun(convertersParts());
    const out = await runParts(run, { input_ids: ids, attention_mask: mask });
    expect(feedsSeen[0]).toEqual({ ids, mask });
    expect(feedsSeen[0]!.ids).toBe(ids);
    expect(Object.keys(feedsSeen[1]!)).toEqual(['state0', 'mask']);
    expect(feedsSeen[1]!.state0).toBe(outputs[0]!.state0);
    expect(feedsSeen[1]!.mask).toBe(mask);
    expect(feedsSeen[2]!.state1).toBe(outputs[1]!.state1);
    expect(feedsSeen[2]!.mask).toBe(mask);
    // the last part's outputs by the manifest's roles
    expect(Object.keys(out)).toEqual(['hidden']);
    expect(out.hidden).toBe(outputs[2]!.last_hidden);
  });

  it('reads, makes, runs and releases each part before reading the next', async () => {
    const { run, log } = fakeRun(convertersParts());
    await runParts(run, { input_ids: ids, attention_mask: mask });
    expect(log).toEqual([
      'read te/text_encoder.onnx te/text_encoder.onnx.data', 'create 0', 'run 0', 'release 0',
      'read te/text_encoder.part1.onnx', 'create 1', 'run 1', 'release 1',
      'read te/text_encoder.part2.onnx te/text_encoder.part2.onnx.data te/text_encoder.part2.onnx.1.data', 'create 2', 'run 2', 'release 2',
    ]);
  });

  it('releases a part whose run fails, makes no later part, and gives the run error', async () => {
    const fakes = convertersParts();
    fakes[1]!.fails = 'bad allocation';
    const { run, log } = fakeRun(fakes);
    await expect(runParts(run, { input_ids: ids, attention_mask: mask })).rejects.toMatchObject({
      name: 'InferenceError', message: expect.stringMatching(/textEncoder failed to run: bad allocation/),
    });
    expect(log).toEqual(['read te/text_encoder.onnx te/text_encoder.onnx.data', 'create 0', 'run 0', 'release 0', 'read te/text_encoder.part1.onnx', 'create 1', 'run 1', 'release 1']);
  });

  it('a lost device in a part is a DeviceLostError (the engine recovers it by running the parts again)', async () => {
    const fakes = convertersParts();
    fakes[2]!.fails = 'Device lost: GPUDevice was lost';
    const { run, log } = fakeRun(fakes);
    await expect(runParts(run, { input_ids: ids, attention_mask: mask })).rejects.toMatchObject({ name: 'DeviceLostError' });
    expect(log.at(-1)).toBe('release 2');
  });

  it('a part taking a tensor neither the inputs nor the previous part give is a ModelFormatError naming its graph file, released, not run', async () => {
    const fakes = convertersParts();
    fakes[2]!.inputs = ['state0', 'mask']; // part 2 asks for part 0's output, which part 1 did not pass on
    const { run, log } = fakeRun(fakes);
    const e = await runParts(run, { input_ids: ids, attention_mask: mask }).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ModelFormatError', details: { component: 'textEncoder', file: 'te/text_encoder.part2.onnx', variant: 'q4' } });
    expect((e as Error).message).toMatch(/^Part 3 of 3 of the textEncoder \(te\/text_encoder\.part2\.onnx, q4\) takes "state0", which the textEncoder's inputs or part 2's outputs do not give \(ids, mask, state1\)/);
    expect(log.slice(-2)).toEqual(['create 2', 'release 2']);
  });

  it("part 0 must take the component's inputs, checked as a one-graph session's are", async () => {
    const fakes = convertersParts();
    fakes[0]!.inputs = ['input_ids', 'mask'];
    const { run, log } = fakeRun(fakes);
    await expect(runParts(run, { input_ids: ids, attention_mask: mask })).rejects.toMatchObject({
      name: 'ModelFormatError', message: expect.stringMatching(/The textEncoder graph has no input named "ids" \(manifest role input_ids\); it has input_ids, mask\. Fix manifest\.components\.textEncoder\.inputs\./),
    });
    expect(log).toEqual(['read te/text_encoder.onnx te/text_encoder.onnx.data', 'create 0', 'release 0']);
  });

  it("the last part must give the manifest's outputs, checked before it runs, as a one-graph session's are", async () => {
    const fakes = convertersParts();
    fakes[2]!.outputs = ['hidden'];
    const { run, log } = fakeRun(fakes);
    await expect(runParts(run, { input_ids: ids, attention_mask: mask })).rejects.toMatchObject({
      name: 'ModelFormatError', message: expect.stringMatching(/The textEncoder graph has no output named "last_hidden" \(manifest role hidden\); it has hidden\. Fix manifest\.components\.textEncoder\.outputs\./),
    });
    expect(log.slice(-2)).toEqual(['create 2', 'release 2']);
  });

  it('a part whose session cannot be made leaves nothing held: the parts before it are already released', async () => {
    const { run, log } = fakeRun(convertersParts());
    const open = run.open;
    run.open = async (files) => {
      if (files[0]!.path.endsWith('part1.onnx')) throw new Error('out of memory');
      return open(files);
    };
    await expect(runParts(run, { input_ids: ids, attention_mask: mask })).rejects.toThrow('out of memory');
    expect(log).toEqual(['read te/text_encoder.onnx te/text_encoder.onnx.data', 'create 0', 'run 0', 'release 0', 'read te/text_encoder.part1.onnx']);
  });

  it('one part is a one-graph run made per call', async () => {
    const { run, log } = fakeRun([{ inputs: ['ids', 'mask'], outputs: ['last_hidden'] }]);
    const out = await runParts({ ...run, parts: PARTS.slice(0, 1) }, { input_ids: ids, attention_mask: mask });
    expect(Object.keys(out)).toEqual(['hidden']);
    expect(log).toEqual(['read te/text_encoder.onnx te/text_encoder.onnx.data', 'create 0', 'run 0', 'release 0']);
  });
});
