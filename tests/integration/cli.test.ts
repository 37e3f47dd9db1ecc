/**
 * The `vidlet` command as a user runs it (node bin/vidlet.mjs …, a child process) on the shipped
 * model: the written clip decodes back to the manifest's frame count and size with its settings
 * embedded, --json prints one parsable object, bad usage exits 2 with a message naming the flag.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { unzipSync } from 'fflate';
import { GifReader } from 'omggif';
import { afterAll, describe, expect, it } from 'vitest';
import { restoreSettings } from '../../src/media';
import { available, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const hasModel = available(SHIPPED_MODEL, 'the vidlet CLI tests (tests/integration/cli.test.ts)');
const manifest = hasModel ? (JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8')) as { video: { width: number; height: number; frames: number; fps: number } }) : null;
const dir = mkdtempSync(join(tmpdir(), 'vidlet-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vidlet(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vidlet.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(hasModel)('vidlet CLI on the shipped model', () => {
  it('generate --json writes a PNG zip with the manifest frames and embedded settings', async () => {
    const out = join(dir, 'frames.zip');
    const r = vidlet(['generate', '--prompt', 'a red circle moves left on a blue background', '--seed', '5', '--steps', '2', '--out', out, '--json', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    // stdout is exactly one JSON object; progress went to stderr.
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary.settings.seed).toBe(5);
    expect(summary.settings.steps).toBe(2);
    expect(summary.output.path).toBe(out);
    expect(summary.batch).toBe(3); // default guidance + Inner-Guidance on a motion model
    expect(summary.innerGuidanceActive).toBe(true);
    expect(Array.isArray(summary.unknownWords)).toBe(true);
    expect(summary.timings.totalMs).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/step 2\/2/);

    const bytes = new Uint8Array(readFileSync(out));
    const files = unzipSync(bytes);
    const frames = Object.keys(files).filter((f) => /\.png$/.test(f)).sort();
    expect(frames.length).toBe(manifest!.video.frames);
    const png = decodePng(files[frames[0]!]!);
    expect([png.width, png.height]).toEqual([manifest!.video.width, manifest!.video.height]);
    const restored = await restoreSettings(bytes);
    expect(restored.settings.seed).toBe(5);
    expect(restored.settings.prompt).toBe('a red circle moves left on a blue background');
  });

  it('generate writes a GIF that decodes to the manifest frames; same seed → same pixels', () => {
    const run = (name: string, seed: string) => {
      const out = join(dir, name);
      const r = vidlet(['generate', '--prompt', 'a blue star spins', '--seed', seed, '--steps', '1', '--guidance', '1', '--inner-guidance', '0', '--out', out, '--threads', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(''); // without --json nothing goes to stdout
      const gif = new GifReader(new Uint8Array(readFileSync(out)));
      expect(gif.numFrames()).toBe(manifest!.video.frames);
      expect([gif.width, gif.height]).toEqual([manifest!.video.width, manifest!.video.height]);
      const px = new Uint8Array(gif.width * gif.height * 4);
      gif.decodeAndBlitFrameRGBA(gif.numFrames() - 1, px);
      return Buffer.from(px).toString('base64');
    };
    const a = run('a.gif', '11');
    expect(run('b.gif', '11')).toBe(a);
    expect(run('c.gif', '12')).not.toBe(a);
  });

  it('bad usage exits 2 naming the problem, and nothing is written', () => {
    const noPrompt = vidlet(['generate', '--steps', '2']);
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toMatch(/--prompt/);
    const badSampler = vidlet(['generate', '--prompt', 'x', '--sampler', 'ddim', '--out', join(dir, 'x.gif')]);
    expect(badSampler.code).toBe(2);
    expect(badSampler.stderr).toMatch(/sampler/);
    expect(existsSync(join(dir, 'x.gif'))).toBe(false);
    const badOut = vidlet(['generate', '--prompt', 'x', '--out', join(dir, 'x.avi')]);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toMatch(/\.mp4|\.gif/);
  });

  it('a missing model folder fails with exit 1 and says which folder', () => {
    const r = vidlet(['generate', '--prompt', 'x', '--model', join(dir, 'no-such-model'), '--out', join(dir, 'y.gif')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-model/);
  });
});

describe.runIf(hasModel)('vidlet CLI adapters', () => {
  it('--adapter FILE + --lora NAME:STRENGTH changes the clip and is reported in --json; a bad --lora is a usage error', async () => {
    const { makeAdapter } = await import('./helpers/adapter-fixture');
    const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    const a = makeAdapter('cli-style', 'style', m.name, m.lora, 5);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'cli-style.safetensors'), a.weights);
    writeFileSync(join(dir, 'cli-style.json'), JSON.stringify(a.description));
    const common = ['generate', '--prompt', 'a blue star spins', '--seed', '3', '--steps', '1', '--guidance', '1', '--inner-guidance', '0', '--threads', '1', '--json'];
    const plain = vidlet([...common, '--out', join(dir, 'plain.zip')]);
    const styled = vidlet([...common, '--out', join(dir, 'styled.zip'), '--adapter', join(dir, 'cli-style.safetensors'), '--lora', 'cli-style:0.8']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(styled.code, styled.stderr).toBe(0);
    expect(JSON.parse(styled.stdout).adapters).toEqual([{ name: 'cli-style', strength: 0.8 }]);
    expect(JSON.parse(plain.stdout).adapters).toEqual([]);
    const firstFrame = (p: string) => {
      const files = unzipSync(new Uint8Array(readFileSync(p)));
      return Buffer.from(files[Object.keys(files).filter((f) => f.endsWith('.png')).sort()[0]!]!).toString('base64');
    };
    expect(firstFrame(join(dir, 'styled.zip'))).not.toBe(firstFrame(join(dir, 'plain.zip')));
    // --lora FILE:S is the same as --adapter FILE --lora NAME:S
    const byPath = vidlet([...common, '--out', join(dir, 'by-path.zip'), '--lora', `${join(dir, 'cli-style.safetensors')}:0.8`]);
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(JSON.parse(byPath.stdout).adapters).toEqual([{ name: 'cli-style', strength: 0.8 }]);
    expect(firstFrame(join(dir, 'by-path.zip'))).toBe(firstFrame(join(dir, 'styled.zip')));
    const missing = vidlet([...common, '--out', join(dir, 'n.zip'), '--lora', join(dir, 'nothing-here.safetensors')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing-here\.safetensors: there is no such file/);
    // weights without a description: named after the file, with the note that nothing said which model it is for
    writeFileSync(join(dir, 'Lone_Style.safetensors'), a.weights);
    const lone = vidlet([...common, '--out', join(dir, 'lone.zip'), '--lora', `${join(dir, 'Lone_Style.safetensors')}:0.8`]);
    expect(lone.code, lone.stderr).toBe(0);
    expect(lone.stderr).toMatch(/no description/i);
    expect(JSON.parse(lone.stdout).adapters).toEqual([{ name: 'lone-style', strength: 0.8 }]);
    expect(firstFrame(join(dir, 'lone.zip'))).toBe(firstFrame(join(dir, 'styled.zip')));
    const bad = vidlet(['generate', '--prompt', 'x', '--lora', 'cli-style:lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/strength "lots"/);
    const unknown = vidlet([...common, '--out', join(dir, 'u.zip'), '--lora', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no adapter "nobody"/);
  }, 120_000);
});

/**
 * The shipped package as a distilled one (issue #11): a folder with the same files (linked) and a
 * manifest whose schedule is an explicit two-level list, no CFG and x0-renoise by default.
 */
function distilledPackage(): string {
  const pkg = join(dir, 'distilled');
  mkdirSync(pkg);
  for (const entry of readdirSync(MODEL)) if (entry !== 'manifest.json') symlinkSync(resolve(MODEL, entry), join(pkg, entry));
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  m.schedule = { ...m.schedule, sigmas: [1, 0.5], defaultGuidance: 1, defaultInnerGuidance: 0, defaultSampler: 'x0-renoise' };
  delete m.schedule.shift;
  delete m.schedule.defaultSteps;
  writeFileSync(join(pkg, 'manifest.json'), JSON.stringify(m));
  return pkg;
}

describe.runIf(hasModel)('vidlet CLI on a package with an explicit sigma list', () => {
  it('takes the list\'s step count, says why, and refuses another --steps before generating', () => {
    const pkg = distilledPackage();
    const refused = join(dir, 'refused.gif');
    const bad = vidlet(['generate', '--prompt', 'a red ball', '--model', pkg, '--steps', '20', '--out', refused, '--threads', '1']);
    // exit 1, as the other refusals that need the loaded model (--scene, --best-of): 2 is for flags alone
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/UsageError: --steps must be 2 for this model, got 20\. This model was distilled .* Leave --steps out to take it\./);
    expect(bad.stderr).not.toMatch(/step 1\/2/);
    expect(existsSync(refused)).toBe(false);

    const out = join(dir, 'distilled.gif');
    const r = vidlet(['generate', '--prompt', 'a red ball', '--model', pkg, '--seed', '3', '--out', out, '--json', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/fixed list of 2 noise levels/);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.settings).toMatchObject({ steps: 2, guidance: 1, innerGuidance: 0, sampler: 'x0-renoise' });
    expect(summary.batch).toBe(1); // no CFG: one pass a step
    expect(existsSync(out)).toBe(true);
  });
});
