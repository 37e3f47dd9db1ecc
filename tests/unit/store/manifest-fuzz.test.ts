/**
 * Issue #13: no manifest may crash the engine. Seeded, generated manifests go through the real entry
 * points — the store's JSON read (NodeFolderStore.readManifest), parseManifest, and then the pure stages
 * a load and a generation run on the parsed value (load plan on three backends, listed files, sampling
 * grid, scene run, frame-by-frame decoder calls, tiles, LoRA slots). Each must either be refused with a
 * ManifestError naming its field (or, for text that is not JSON, the store's FileUnavailableError), or be
 * accepted and then taken by every later stage: a TypeError, RangeError or plain Error is a bug.
 *
 * Two families: (a) structure-aware mutations of every committed manifest (the shipped vidlet-tiny,
 * tests/fixtures/**, the code-built one) at random JSON paths; (b) byte damage of the JSON text.
 * A failure prints the family, base and seed; `fuzzOne(base, seed)` rebuilds that input.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { denoiserFor } from '../../../src/package/components';
import { splitParts } from '../../../src/package/parts';
import { MAX_TENSOR_ELEMENTS } from '../../../src/package/tensor-size';
import { presetSize } from '../../../src/package/presets';
import { cacheProblems, frameCalls, frameGraphRoles } from '../../../src/package/vae-decode';
import { VARIANTS } from '../../../src/package/variants';
import { InvalidRequestError, NoBackendError } from '../../../src/engine/errors';
import { chooseVaeGraphs, planLoad, planSessions } from '../../../src/engine/load-plan';
import { LoraSlots } from '../../../src/engine/lora-slots';
import { planSceneRun } from '../../../src/engine/scene-request';
import { checkGrid, samplingSigmas } from '../../../src/engine/schedulers/timesteps';
import type { BackendInfo } from '../../../src/engine/types';
import { chooseTiling, planTiles } from '../../../src/engine/vae-tiles';
import { allListedFiles } from '../../../src/store/check-package';
import { FileUnavailableError, ManifestError } from '../../../src/store/errors';
import { parseManifest } from '../../../src/store/manifest';
import { loraGroups } from '../../../src/package/lora';
import { NodeFolderStore } from '../../../src/store/node-store';
import { listedBytes, packageFileProblems } from '../../../src/store/package-files';
import type { Manifest } from '../../../src/store/types';
import { intBelow, mulberry32, pick, type Random } from '../fuzz-random';
import { validManifest } from './manifest-fixture';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ROOT = join(__dirname, '../../..');
const STRUCTURED = 8000;
const BYTES = 4000;

/** Every committed manifest, plus variants that reach the sections none of them has. */
function bases(): [string, Json][] {
  const read = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8')) as Json;
  const fixtures = (readdirSync(join(ROOT, 'tests/fixtures'), { recursive: true }) as string[])
    .filter((p) => p.endsWith('manifest.json'))
    .map((p) => `tests/fixtures/${p}`);
  const out: [string, Json][] = [['public/models/vidlet-tiny/manifest.json', read('public/models/vidlet-tiny/manifest.json')]];
  for (const p of fixtures) out.push([p, read(p)]);
  out.push(['manifest-fixture.ts validManifest()', validManifest() as Json]);
  // A distilled list: the one schedule shape no committed manifest has.
  const wan = read('tests/fixtures/wan-tiny/manifest.json') as Record<string, any>;
  wan.schedule = { type: 'flow-matching', sigmas: [1, 0.9937, 0.9875, 0.4219], defaultGuidance: 1, defaultInnerGuidance: 0, defaultSampler: 'x0-renoise' };
  out.push(['wan-tiny with schedule.sigmas', wan]);
  // A text encoder in parts (#11, src/package/parts.ts): the variant shape no committed manifest has.
  const parted = read('tests/fixtures/wan-tiny/manifest.json') as Record<string, any>;
  const te = parted.components.textEncoder.variants.fp32;
  te.files = [...te.files, { path: 'text_encoder.part1.onnx', bytes: 7000, sha256: 'c'.repeat(64) }, { path: 'text_encoder.part1.onnx.data', bytes: 45000, sha256: 'd'.repeat(64) }];
  te.parts = [2, 2];
  out.push(['wan-tiny with its text encoder in parts', parted]);
  return out;
}

const BASES = bases();

/** Values of every wrong kind, and of the right kind but hostile. */
const HOSTILE: Json[] = [
  null, true, false, 0, -0, -1, 1, 2, 0.5, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, 1e-320, 1e21,
  '', ' ', 'NaN', 'Infinity', '-1', '0', '1e400', '0x10', 'x'.repeat(5000), '../../etc/passwd', '/etc/passwd', 'C:\\Windows\\x',
  'https://evil.example/x.onnx', '//host/x', '%2e%2e/x', 'a/./b', 'a//b', 'a\\b', 'x?y', 'ünïcödé ✓ 𝒳 \u202e', '\u0000', '\ud800',
  '__proto__', 'constructor', 'fp32', 'fp16', 'q4', 'per-scene', 'euler', 'latent', 'video', 'a'.repeat(64),
  [], {}, [null], [1, 2, 3], ['a', 'a'], [1, 0.5, 0.5], [[]], [{}], { a: 1 },
];
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'fp64', 'FP32', '', ' ', 'cache.0', 'x'];

interface Slot {
  parent: Json[] | Record<string, Json>;
  key: string | number;
}

/** Every node below the root, as (parent, key). */
function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), walk(x)));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push({ parent: v, key: k }), walk(x));
  };
  walk(root);
  return out;
}

const clone = (v: Json): Json => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const get = (s: Slot): Json => (s.parent as Record<string | number, Json>)[s.key]!;

/** Sets an own property, also for '__proto__' (which plain assignment would turn into a prototype change). */
function put(parent: Slot['parent'], key: string | number, value: Json): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function remove(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else delete s.parent[s.key as string];
}

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One structure-aware mutation at a random path; `pool` holds subtrees of every base to transplant. */
function mutate(root: Json, random: Random, pool: Slot[]): void {
  const all = slots(root);
  if (all.length === 0) return;
  const s = pick(random, all);
  const v = get(s);
  switch (intBelow(random, 9)) {
    case 0:
      return remove(s);
    case 1:
    case 2:
      return put(s.parent, s.key, clone(pick(random, HOSTILE)));
    case 3: // a value from elsewhere (right shape, wrong place: a variant where a role map goes, wan's sections in tiny)
      return put(s.parent, s.key, clone(get(pick(random, pool))));
    case 4:
      if (typeof v === 'number') {
        return put(s.parent, s.key, pick(random, [v + 1, v - 1, -v, v * 1000, v / 3, 0, v + 0.5, 2 ** 31 - 1, 2 ** 53 - 1]));
      }
      if (typeof v === 'string') {
        return put(s.parent, s.key, pick(random, ['', `${v}x`, v.toUpperCase(), `../${v}`, `/${v}`, v.slice(0, -1), `${v}/`, v.repeat(40), `${v}\u0000`]));
      }
      return put(s.parent, s.key, clone(pick(random, HOSTILE)));
    case 5:
      if (Array.isArray(v) && v.length > 0) {
        const op = intBelow(random, 4);
        if (op === 0) v.push(clone(pick(random, v))); // duplicate an entry
        else if (op === 1) v.reverse();
        else if (op === 2) v.pop();
        else v.push(clone(get(pick(random, pool))));
        return;
      }
      return remove(s);
    case 6:
      if (isObject(v)) {
        const keys = Object.keys(v);
        const op = intBelow(random, 4);
        if (op === 0 && keys.length > 0) {
          // rename a key: to another name this section might have, a variant name or a prototype name
          const k = pick(random, keys);
          const to = random() < 0.5 ? pick(random, KEYS) : random() < 0.5 ? pick(random, VARIANTS) : pick(random, pool).key;
          const x = v[k]!;
          delete v[k];
          put(v, String(to), x);
        } else if (op === 1) {
          // reorder: the same entries, last first
          const entries = Object.entries(v).reverse();
          for (const k of keys) delete v[k];
          for (const [k, x] of entries) put(v, k, x);
        } else if (op === 2) {
          const donor = pick(random, pool);
          put(v, String(donor.key), clone(get(donor)));
        } else {
          put(v, pick(random, KEYS), clone(pick(random, HOSTILE)));
        }
        return;
      }
      return put(s.parent, s.key, {});
    case 7: {
      // A whole component (or frame graph) copied over another, or its variants swapped: mismatched lists.
      const graphs = all.filter((g) => isObject(get(g)) && 'variants' in (get(g) as object));
      if (graphs.length < 2) return remove(s);
      const a = pick(random, graphs);
      const b = pick(random, graphs);
      if (random() < 0.5) put(a.parent, a.key, clone(get(b)));
      else put(get(a) as Record<string, Json>, 'variants', clone((get(b) as Record<string, Json>).variants!));
      return;
    }
    default: {
      // A section dropped or added whole (sigmas beside a shift, scenes without per-scene, reward without its graph)
      const top = root as Record<string, Json>;
      const donor = pick(random, SECTIONS);
      if (donor && random() < 0.5) put(top, String(donor.key), clone(get(donor)));
      else {
        const k = pick(random, Object.keys(top));
        if (k !== undefined) delete top[k];
      }
    }
  }
}

/** Subtrees of every base to transplant, and their top-level sections. */
const SECTIONS: Slot[] = [];
const POOL: Slot[] = BASES.flatMap(([, b]) => {
  const c = clone(b);
  const s = slots(c);
  SECTIONS.push(...s.filter((x) => x.parent === c));
  return s;
});

const BACKENDS: BackendInfo[] = [
  { backend: 'wasm', shaderF16: false, threads: 2, description: 'WebAssembly, 2 threads', reason: 'test' },
  { backend: 'webgpu', shaderF16: true, threads: 0, description: 'a GPU with shader-f16 (webgpu)', reason: 'test' },
  { backend: 'webgpu', shaderF16: false, threads: 0, description: 'a GPU without shader-f16 (webgpu)', reason: 'test' },
];

/** Runs a later stage; a NoBackendError (no runnable variant on this backend) is its own error, not a crash. */
function orNoBackend<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof NoBackendError && e.message.length > 0) return undefined;
    throw e;
  }
}

/** Every pure stage a load and a plain generation run on a parsed manifest; throws on a crash. */
function laterStages(m: Manifest): void {
  const listed = allListedFiles(m);
  const bytes = listedBytes(m);
  if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`listedBytes gave ${bytes}`);
  packageFileProblems(m, new Map(listed.map((f) => [f.file.path, f.file.bytes])));

  for (const backend of BACKENDS) {
    for (const graphs of ['auto', 'whole', 'frames'] as const) {
      let mode: 'whole' | 'frames';
      try {
        mode = chooseVaeGraphs(m, graphs);
      } catch (e) {
        // The documented refusal of a forced 'frames' (the engine wraps it in a ModelLoadError).
        if (graphs === 'frames' && /frame-by-frame VAE decoder/.test((e as Error).message)) continue;
        throw e;
      }
      const plan = orNoBackend(() => planLoad(m, backend, 'auto', graphs));
      if (plan && !(Number.isFinite(plan.bytes) && plan.bytes >= 0)) throw new Error(`planLoad gave ${plan.bytes} bytes`);
      for (const c of plan?.components ?? []) {
        if (!(Number.isFinite(c.memoryBytes) && c.memoryBytes >= 0 && c.memoryBytes <= c.bytes)) throw new Error(`planLoad gave the ${c.name} ${c.memoryBytes} bytes of memory for ${c.bytes} of files`);
      }
      for (const forced of backend === BACKENDS[0] ? VARIANTS : []) {
        const specs = orNoBackend(() => planSessions(m, backend, forced, mode));
        for (const s of specs ?? []) {
          if (!s.files.length) throw new Error(`${s.key} has no files`);
          if (s.parts && splitParts(s.files, s.parts).some((part) => !part[0] || !/\.onnx$/i.test(part[0].path))) throw new Error(`${s.key} has a part without its graph`);
        }
      }
    }
    // The files a default load fetches, as the engine lists them (engine.ts load: planSessions with the
    // VAE graphs chooseVaeGraphs picks; a frame pair's variants need not be the whole-clip decoder's).
    const chosen = orNoBackend(() => planSessions(m, backend, 'auto', chooseVaeGraphs(m, 'auto')));
    for (const s of chosen ?? []) if (!s.files.length) throw new Error(`the default load's ${s.key} has no files`);
  }

  checkGrid(samplingSigmas(m.schedule, m.schedule.defaultSteps));

  const model = { scenes: m.scenes, videoFrames: m.video.frames, latentFrames: m.latent.frames, sceneDenoiser: m.components.sceneDenoiser !== undefined };
  const run = planSceneRun(undefined, model);
  if (!Number.isInteger(run.latentFrames) || run.latentFrames < 1) throw new Error(`a plain prompt runs ${run.latentFrames} latent frames`);
  if (m.scenes) {
    // The package's own default plan, at its most scenes and one scene of its length, must be makeable.
    for (const plan of [
      Array.from({ length: m.scenes.maxScenes }, (_, i) => ({ text: `scene ${i}`, frames: m.scenes!.defaultFrames })),
      [{ text: 'one', frames: m.video.frames }],
    ]) {
      try {
        const r = planSceneRun(plan, model);
        if (!Number.isInteger(r.latentFrames) || r.latentFrames < 1) throw new Error(`the default scene plan runs ${r.latentFrames} latent frames`);
        denoiserFor(model.sceneDenoiser, plan.map((s) => s.frames), m.video.frames);
      } catch (e) {
        // One scene of video.frames may lie outside the package's scene range: a refusal in words is fine there.
        if (!(plan.length === 1 && e instanceof InvalidRequestError)) throw e;
      }
    }
  }

  const pair = m.vaeDecoderFrames;
  if (pair) {
    frameGraphRoles(pair);
    if (cacheProblems(pair).length > 0) throw new Error('the parser let a cache name clash through');
    frameCalls(m.latent.frames, pair);
  }
  const framesPerCall = pair ? Math.max(pair.first.latentFrames, pair.next.latentFrames) : m.latent.frames;
  for (const budget of [undefined, 64 * 2 ** 20]) {
    const tiling = chooseTiling({ h: m.latent.height, w: m.latent.width, framesPerCall }, m.vaeTiling, 'auto', budget);
    // Tiles and LoRA slots are built only at sizes this test can afford; the parser bounds the rest (tensor-size.ts).
    if (tiling && m.latent.height * m.latent.width <= 2 ** 20) planTiles(m.latent.height, m.latent.width, tiling);
  }
  // Every size a request may ask for (src/package/presets.ts): the default and each preset resolve, a
  // preset of another length is one the frame pair decodes, and its tiles can be planned.
  for (const name of [undefined, ...(m.presets?.sizes.map((p) => p.name) ?? [])]) {
    const size = presetSize(m, name);
    if (typeof size === 'string') throw new Error(`the parser let a preset through that a request cannot have: ${size}`);
    if (size.latent.frames !== m.latent.frames && !(pair && frameCalls(size.latent.frames, pair))) throw new Error(`preset ${name} has a length no decoder takes`);
    const tiling = chooseTiling({ h: size.latent.height, w: size.latent.width, framesPerCall }, m.vaeTiling, 'auto', 64 * 2 ** 20);
    if (tiling && size.latent.height * size.latent.width <= 2 ** 20) planTiles(size.latent.height, size.latent.width, tiling);
  }
  const { slots, depth, rank } = m.lora;
  const groupValues = loraGroups(m.lora).map((g) => slots.length * depth * g.targets.length * rank * Math.max(g.in, g.out));
  if (groupValues.some((v) => v > MAX_TENSOR_ELEMENTS)) throw new Error(`LoRA slots of ${Math.max(...groupValues)} values in one input passed the parser`);
  if (groupValues.reduce((a, b) => a + b, 0) <= 2 ** 20 && slots.length > 0) {
    const feeds = new LoraSlots(m.lora).feeds(rank);
    if (feeds.length !== groupValues.length || feeds.some((f, k) => Math.max(f.down.length, f.up.length) !== groupValues[k])) throw new Error('LoRA slots of the wrong size');
  }
}

type Outcome = 'accepted' | 'refused';

function feed(json: unknown): Outcome {
  let m: Manifest;
  try {
    m = parseManifest(json);
  } catch (e) {
    if (e instanceof ManifestError && e.message.startsWith('manifest') && e.message.length <= 2000) return 'refused';
    throw e;
  }
  laterStages(m);
  return 'accepted';
}

/**
 * Runs one input; a crash is recorded in `crashes` under its kind (error name and message without
 * numbers), so one run lists every distinct bug with the first input that shows it.
 */
async function check(what: string, run: () => Outcome | Promise<Outcome>, crashes: Map<string, string>): Promise<Outcome | 'crashed'> {
  const start = performance.now();
  let outcome: Outcome;
  try {
    outcome = await run();
  } catch (e) {
    const message = `${(e as Error).name}: ${(e as Error).message.slice(0, 300)}`;
    const kind = message.replace(/-?\d[\d.e+-]*/g, 'N').slice(0, 120);
    if (!crashes.has(kind)) crashes.set(kind, `${what}: ${message}`);
    return 'crashed';
  }
  const ms = performance.now() - start;
  // A loop over a huge declared size shows up here long before it hangs (generous: the machine may be busy).
  if (ms > 5000) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error(`${what}: Object.prototype was polluted`);
  return outcome;
}

/** Input `seed` of the structured family, from base `b`: 1–4 mutations. */
export function fuzzOne(b: number, seed: number): string {
  const random = mulberry32(seed);
  const root = clone(BASES[b]![1]);
  const n = 1 + intBelow(random, 4);
  for (let i = 0; i < n; i++) mutate(root, random, POOL);
  return JSON.stringify(root, null, random() < 0.5 ? 2 : undefined);
}

/** Input `seed` of the byte family, from base `b`: flips, deletions, insertions, truncation. */
export function damageOne(b: number, seed: number): string {
  const random = mulberry32(seed);
  const text = JSON.stringify(BASES[b]![1], null, random() < 0.5 ? 2 : undefined);
  const bytes = Array.from(new TextEncoder().encode(text));
  const n = 1 + intBelow(random, 4);
  const special = [...'{}[]",:-.0123456789eE \\ntrufalsn'].map((c) => c.charCodeAt(0));
  for (let i = 0; i < n; i++) {
    const at = intBelow(random, bytes.length);
    const op = intBelow(random, 5);
    if (op === 0) bytes[at] = intBelow(random, 256);
    else if (op === 1) bytes[at] = pick(random, special);
    else if (op === 2) bytes.splice(at, 1 + intBelow(random, 8));
    else if (op === 3) bytes.splice(at, 0, pick(random, special));
    else bytes.length = at;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

describe('manifest fuzz (issue #13)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-manifest-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const figures: Record<string, Record<string, number>> = {};

  it('every base manifest parses and passes every later stage', () => {
    for (const [name, json] of BASES) expect(feed(clone(json)), name).toBe('accepted');
  });

  it(`${STRUCTURED} structure-aware mutations are refused with a ManifestError or accepted whole`, async () => {
    const counts = { accepted: 0, refused: 0, crashed: 0 };
    const crashes = new Map<string, string>();
    for (let seed = 1; seed <= STRUCTURED; seed++) {
      const b = seed % BASES.length;
      const text = fuzzOne(b, seed);
      counts[await check(`structured fuzz, base ${BASES[b]![0]}, seed ${seed} (fuzzOne(${b}, ${seed}))`, () => feed(JSON.parse(text)), crashes)]++;
    }
    figures.structured = counts;
    expect([...crashes.values()]).toEqual([]);
    // Most mutations break something the parser must name; a few are harmless (an extra key, a reordering).
    expect(counts.refused).toBeGreaterThan(STRUCTURED / 2);
    expect(counts.accepted).toBeGreaterThan(STRUCTURED / 50);
  });

  it(`${BYTES} byte-damaged manifest texts through NodeFolderStore.readManifest are refused or accepted whole`, async () => {
    const store = new NodeFolderStore();
    const counts = { accepted: 0, refused: 0, crashed: 0 };
    const crashes = new Map<string, string>();
    for (let seed = 1; seed <= BYTES; seed++) {
      const b = seed % BASES.length;
      writeFileSync(join(dir, 'manifest.json'), damageOne(b, seed));
      counts[await check(`byte fuzz, base ${BASES[b]![0]}, seed ${seed} (damageOne(${b}, ${seed}))`, async () => {
        let json: unknown;
        try {
          json = await store.readManifest(dir);
        } catch (e) {
          if (e instanceof FileUnavailableError && /not valid JSON/.test(e.message)) return 'refused';
          throw e;
        }
        return feed(json);
      }, crashes)]++;
    }
    figures.bytes = counts;
    expect([...crashes.values()]).toEqual([]);
    expect(counts.refused).toBeGreaterThan(BYTES / 2);
    console.log(`manifest fuzz: ${JSON.stringify(figures)}`);
  });
});
