/**
 * parseManifest: untrusted manifest.json → a typed Manifest (docs/model-package.md, format 1),
 * or a ManifestError naming the first field this Vidlet cannot use. Unknown extra keys are
 * ignored (a newer exporter may add informational fields without a version bump); anything the
 * engine relies on is checked here so the engine can trust the object it gets.
 */
import { COMPONENTS, OPTIONAL_COMPONENTS, requiredRoles, type PackageFeatures } from '../package/components';
import { SCENE_CONDITIONINGS, sceneFramingProblem, sceneSupportProblems, type SceneSupport } from '../package/scenes';
import { PARTED_COMPONENTS, partsProblem } from '../package/parts';
import { tensorSizeProblem } from '../package/tensor-size';
import { decodeNoiseProblem } from '../package/vae-decode';
import { allTargets, DEFAULT_LORA_BLOCKS, loraGroups, loraNamingProblems } from '../package/lora';
import { attentionScoresBytes, parsePresets } from './manifest-presets';
import { parseRewardSpec } from './manifest-reward';
import { parseSchedule } from './manifest-schedule';
import { parseVaeDecoderFrames, parseVaeTiling } from './manifest-vae';
import { isVariant, VARIANTS, type Variant } from '../package/variants';
import { ManifestError } from './errors';
import {
  arr, bool, describe, fail, int, join, limited, num, obj, oneOf, optStr, positiveNum, relPath, str, uniqueStrings,
  type Json,
} from './json-fields';
import {
  MANIFEST_FORMAT, MANIFEST_VERSION,
  type AdapterEntry, type Component, type ComponentName, type ComponentVariant, type LoraGroupSpec, type Manifest, type PackageFile,
} from './types';

export { ManifestError };

export const ADAPTER_KINDS: readonly AdapterEntry['kind'][] = ['identity', 'motion', 'style'];

const SHA256 = /^[0-9a-fA-F]{64}$/;
const NAME = /^[a-z0-9-]+$/;

export function parseManifest(json: unknown): Manifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ManifestError('', `manifest.json holds ${describe(json)}, not an object: point Vidlet at a folder with a Vidlet model package`);
  }
  const m = json as Json;
  parseFormat(m);

  const name = str(m.name, 'name');
  if (!NAME.test(name)) fail('name', `is ${JSON.stringify(name)}, but may only hold a-z, 0-9 and '-' (it is the cache key prefix)`);

  const video = obj(m.video, 'video');
  const latent = obj(m.latent, 'latent');
  const text = obj(m.text, 'text');
  const motion = m.motion === undefined ? undefined : { channels: int(obj(m.motion, 'motion').channels, 'motion.channels', 1) };
  // Before the components: a per-scene package's denoiser must map the text_frame_mask role.
  const scenes = m.scenes === undefined ? undefined : parseSceneSupport(m.scenes);
  // Before the components too: a package with LoRA slots must map the lora_* roles.
  const lora = parseLora(m.lora);
  const sceneDenoiser = obj(m.components, 'components').sceneDenoiser !== undefined;
  const has: PackageFeatures = { motion: motion !== undefined, lora: lora.slots.length > 0, loraGroups: lora.groups.length, perScene: scenes?.conditioning === 'per-scene', sceneDenoiser };
  if (sceneDenoiser && !has.perScene) {
    fail('components.sceneDenoiser', 'is present, but the package declares no per-scene conditioning (scenes.conditioning "per-scene"), so nothing would use it',
      'add the "scenes" section the scene denoiser was exported with (export --scene-dit writes it), or remove components.sceneDenoiser');
  }

  const files = new FileRegistry();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    name,
    displayName: str(m.displayName, 'displayName'),
    description: optStr(m.description, 'description'),
    license: optStr(m.license, 'license'),
    modelCard: m.modelCard === undefined ? undefined : relPath(m.modelCard, 'modelCard'),
    video: {
      width: int(video.width, 'video.width', 1),
      height: int(video.height, 'video.height', 1),
      frames: int(video.frames, 'video.frames', 1),
      fps: positiveNum(video.fps, 'video.fps'),
      // the default size's attention figure, judged as a preset's is (a package without presets has only this one)
      ...(video.attentionScoresBytes === undefined ? {} : { attentionScoresBytes: attentionScoresBytes(video.attentionScoresBytes, 'video.attentionScoresBytes') }),
    },
    latent: {
      channels: int(latent.channels, 'latent.channels', 1),
      frames: int(latent.frames, 'latent.frames', 1),
      height: int(latent.height, 'latent.height', 1),
      width: int(latent.width, 'latent.width', 1),
      scale: perChannel(latent.scale, 'latent.scale', latent.channels, nonZero),
      shift: perChannel(latent.shift, 'latent.shift', latent.channels, num),
    },
    motion,
    text: {
      tokenizer: relPath(text.tokenizer, 'text.tokenizer'),
      maxLength: int(text.maxLength, 'text.maxLength', 1),
      hiddenSize: int(text.hiddenSize, 'text.hiddenSize', 1),
      vocabulary: text.vocabulary === undefined ? undefined : relPath(text.vocabulary, 'text.vocabulary'),
      lexicon: text.lexicon === undefined ? undefined : relPath(text.lexicon, 'text.lexicon'),
      contrast: text.contrast === undefined ? undefined : relPath(text.contrast, 'text.contrast'),
    },
    schedule: parseSchedule(m.schedule),
    components: parseComponents(m.components, has, files),
    lora,
    adapters: parseAdapters(m.adapters, files, has.lora),
    blender: m.blender === undefined ? undefined : parseFile(m.blender, 'blender', files, 'file'),
    ...(scenes === undefined ? {} : { scenes }),
  };
  // Optional ways to decode in bounded memory (src/package/vae-decode.ts); the whole-clip vaeDecoder stays required.
  const frames = parseVaeDecoderFrames(m.vaeDecoderFrames, (v, field) => parseVariants(v, field, files));
  if (frames) manifest.vaeDecoderFrames = frames;
  // The optional seeded decode noise (components.ts optionalRoles): every decoder graph takes it, or none.
  const noise = decodeNoiseProblem(manifest.components.vaeDecoder, frames);
  if (noise) fail(noise[0], noise[1]);
  const tiling = parseVaeTiling(m.vaeTiling);
  if (tiling) manifest.vaeTiling = tiling;
  // After the components, so a broken rewardModel is named before its reward section.
  const reward = parseRewardSpec(m.reward, manifest.components.rewardModel !== undefined);
  if (reward) manifest.reward = reward;
  checkTensorSizes(manifest);
  // After the frame pair: a preset of another clip length is decoded by it (src/package/presets.ts).
  const presets = parsePresets(m.presets, manifest, frames);
  if (presets) manifest.presets = presets;
  const framing = scenes && sceneFramingProblem(scenes, manifest.video.frames, manifest.latent.frames);
  if (framing) fail(framing.field, framing.problem);
  if (manifest.motion && manifest.motion.channels !== manifest.latent.channels) {
    // The motion latent is encoded by the same VAE as the video (VideoJAM), so it has the same channels.
    fail('motion.channels', `is ${manifest.motion.channels}, but latent.channels is ${manifest.latent.channels}; the motion latent comes from the same VAE and must match`);
  }
  return manifest;
}

/** The tensors the engine builds from the manifest's numbers must fit a browser (src/package/tensor-size.ts). */
function checkTensorSizes(m: Manifest): void {
  const { video, latent, text, lora } = m;
  const tensors: [string, number[]][] = [
    ['video', [3, video.frames, video.height, video.width]],
    ['latent', [latent.channels, latent.frames, latent.height, latent.width]],
    ['text', [text.maxLength, text.hiddenSize]],
    ...loraGroups(lora).map((g, k): [string, number[]] => [k === 0 ? 'lora' : `lora.groups[${k - 1}]`, [lora.slots.length, lora.depth, g.targets.length, lora.rank, Math.max(g.in, g.out)]]),
  ];
  if (m.reward) tensors.push(['reward.video', [3, m.reward.video.frames, m.reward.video.height, m.reward.video.width]]);
  for (const [field, dims] of tensors) {
    const problem = tensorSizeProblem(dims);
    if (problem) fail(field, problem);
  }
}

function parseFormat(m: Json): void {
  if (m.format !== MANIFEST_FORMAT) {
    fail('format', `is ${describeValue(m.format)}, but must be "${MANIFEST_FORMAT}"`, 'this file is not a Vidlet model manifest; point Vidlet at the folder holding a Vidlet model package');
  }
  const v = m.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail('formatVersion', `is ${describeValue(v)}, but must be an integer`);
  if (v !== MANIFEST_VERSION) {
    const advice = v > MANIFEST_VERSION
      ? `update Vidlet or use a model exported for version ${MANIFEST_VERSION}`
      : `re-export the model with a current training/export (version ${MANIFEST_VERSION})`;
    fail('formatVersion', `is ${v}, but this Vidlet understands version ${MANIFEST_VERSION}`, advice);
  }
}

function describeValue(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

/** One number for every channel, or a list with one number per channel. */
function perChannel(
  v: unknown,
  field: string,
  channels: unknown,
  check: (v: unknown, field: string) => number,
): number | number[] {
  if (!Array.isArray(v)) return check(v, field);
  if (v.length !== channels) fail(field, `has ${v.length} values, but latent.channels is ${describeValue(channels)}`);
  return v.map((x, i) => check(x, `${field}[${i}]`));
}

function nonZero(v: unknown, field: string): number {
  const n = num(v, field);
  if (n === 0) fail(field, 'is 0, but the latent scale must not be zero (latents are multiplied by it)');
  return n;
}

/** Tracks every listed file so one path cannot be listed twice with different contents. */
class FileRegistry {
  private seen = new Map<string, { field: string; sha256: string; bytes: number }>();
  add(f: PackageFile, field: string): void {
    const prior = this.seen.get(f.path);
    if (prior && (prior.sha256 !== f.sha256 || prior.bytes !== f.bytes)) {
      fail(join(field, 'path'), `is ${JSON.stringify(f.path)}, which ${prior.field} already lists with another size or sha256; one file cannot have two contents`);
    }
    if (!prior) this.seen.set(f.path, { field, sha256: f.sha256, bytes: f.bytes });
  }
}

/** `key` names the path field: 'path' in variant files, 'file' in `blender` (docs/model-package.md). */
function parseFile(v: unknown, field: string, files: FileRegistry, key: 'path' | 'file' = 'path'): PackageFile {
  const o = obj(v, field);
  const path = relPath(o[key], join(field, key));
  const f = { path, bytes: fileBytes(o.bytes, join(field, 'bytes')), sha256: sha(o.sha256, join(field, 'sha256')) };
  files.add(f, field);
  return f;
}

function fileBytes(v: unknown, field: string): number {
  const n = num(v, field);
  if (n < 0) fail(field, `is ${n}, but a file size cannot be negative`);
  if (!Number.isSafeInteger(n)) fail(field, `is ${n}, but a file size must be a whole number of bytes`);
  return n;
}

function sha(v: unknown, field: string): string {
  const s = str(v, field);
  if (!SHA256.test(s)) fail(field, `is ${JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s)}, but must be a sha256 digest: 64 hexadecimal characters`);
  return s.toLowerCase();
}

function parseComponents(v: unknown, has: PackageFeatures, files: FileRegistry): Manifest['components'] {
  const c = obj(v, 'components');
  const out: Partial<Record<ComponentName, Component>> = {};
  for (const name of COMPONENTS) {
    if (c[name] === undefined && OPTIONAL_COMPONENTS.includes(name)) continue;
    out[name] = parseComponent(c[name], name, has, files);
  }
  return out as Manifest['components'];
}

function parseComponent(v: unknown, name: ComponentName, has: PackageFeatures, files: FileRegistry): Component {
  const field = `components.${name}`;
  const o = obj(v, field);
  const roles = requiredRoles(name, has);
  const inputs = roleMap(o.inputs, join(field, 'inputs'), roles.inputs);
  const outputs = roleMap(o.outputs, join(field, 'outputs'), roles.outputs);
  return { inputs, outputs, variants: parseVariants(o.variants, join(field, 'variants'), files, name) };
}

/**
 * A component's (or a frame decoder graph's) `variants`: at least one, each a known name. `owner`:
 * the component they belong to, which decides whether they may have parts (none for a frame graph).
 */
function parseVariants(v: unknown, vf: string, files: FileRegistry, owner?: ComponentName): Partial<Record<Variant, ComponentVariant>> {
  const vo = obj(v, vf);
  const keys = Object.keys(vo);
  if (keys.length === 0) fail(vf, 'is empty, but must hold at least one variant', `export at least one of ${VARIANTS.join(', ')}`);
  const variants: Partial<Record<Variant, ComponentVariant>> = {};
  for (const key of keys) {
    if (!isVariant(key)) {
      fail(join(vf, key), `is an unknown variant name, this Vidlet knows ${VARIANTS.join(', ')}`, 'rename the variant or update Vidlet');
    }
    variants[key] = parseVariant(vo[key], join(vf, key), files, owner);
  }
  return variants;
}

function roleMap(v: unknown, field: string, required: string[]): Record<string, string> {
  const o = obj(v, field);
  const out: Record<string, string> = {};
  for (const role of required) {
    if (o[role] === undefined) {
      fail(join(field, role), `is missing; the engine needs the ONNX tensor name for role "${role}" (required: ${required.join(', ')})`);
    }
  }
  for (const [role, tensor] of Object.entries(o)) out[role] = str(tensor, join(field, role));
  return out;
}

function parseVariant(v: unknown, field: string, files: FileRegistry, owner: ComponentName | undefined): ComponentVariant {
  const o = obj(v, field);
  const list = arr(o.files, join(field, 'files'));
  if (list.length === 0) fail(join(field, 'files'), 'is empty, but must list the ONNX graph first, then any external data files');
  const out: ComponentVariant = { files: list.map((f, i) => parseFile(f, join(join(field, 'files'), i), files)) };
  if (o.parts !== undefined) out.parts = parseParts(o.parts, join(field, 'parts'), out.files, owner);
  if (o.requires !== undefined) {
    const req = arr(o.requires, join(field, 'requires'));
    out.requires = req.map((r, i) => str(r, join(join(field, 'requires'), i)));
  }
  return out;
}

/** A variant's `parts` (src/package/parts.ts): only where PARTED_COMPONENTS allows them, counts that split `files` into graphs. */
function parseParts(v: unknown, field: string, files: readonly PackageFile[], owner: ComponentName | undefined): number[] {
  if (owner === undefined || !PARTED_COMPONENTS.includes(owner)) {
    const who = owner === undefined ? 'a frame-by-frame VAE decoder graph' : `the ${owner}`;
    fail(field, `is given, but only ${PARTED_COMPONENTS.map((c) => `components.${c}`).join(', ')} may run in parts: ${who} runs many times per clip, and re-creating its session for every call would be far too slow`,
      'write it as one graph (its weights may still be split over several external data files)');
  }
  const parts = arr(v, field).map((n, i) => int(n, join(field, i), 1));
  const problem = partsProblem(parts, files.map((f) => f.path));
  if (problem) fail(problem.at === undefined ? field : join(field, problem.at), problem.problem);
  return parts;
}

/** Optional "scenes": how a model that makes multi-scene clips makes them (src/package/scenes.ts). */
function parseSceneSupport(v: unknown): SceneSupport {
  const o = obj(v, 'scenes');
  const support: SceneSupport = {
    maxScenes: int(o.maxScenes, 'scenes.maxScenes', 1),
    minFrames: int(o.minFrames, 'scenes.minFrames', 1),
    maxFrames: int(o.maxFrames, 'scenes.maxFrames', 1),
    frameStep: o.frameStep === undefined ? 1 : int(o.frameStep, 'scenes.frameStep', 1),
    defaultFrames: int(o.defaultFrames, 'scenes.defaultFrames', 1),
    ...(o.conditioning === undefined ? {} : { conditioning: oneOf(o.conditioning, 'scenes.conditioning', SCENE_CONDITIONINGS) }),
    ...(o.globalCaption === undefined ? {} : { globalCaption: bool(o.globalCaption, 'scenes.globalCaption') }),
  };
  if (support.globalCaption !== undefined && support.conditioning !== 'per-scene') {
    fail('scenes.globalCaption', 'only applies to "conditioning": "per-scene" (a one-caption model has no global segment)');
  }
  const problems = sceneSupportProblems(support);
  if (problems.length > 0) fail('scenes', `cannot be used: ${problems.join('; ')}`);
  return support;
}

/** Without a `lora` section a package has no slots: its denoiser takes no LoRA inputs, and no adapters load. */
function parseLora(v: unknown): Manifest['lora'] & { groups: LoraGroupSpec[] } {
  if (v === undefined) return { slots: [], depth: 0, targets: [], rank: 0, width: 0, groups: [] };
  const o = obj(v, 'lora');
  const lora = {
    slots: uniqueStrings(o.slots, 'lora.slots'),
    depth: int(o.depth, 'lora.depth', 1),
    targets: uniqueStrings(o.targets, 'lora.targets'),
    rank: int(o.rank, 'lora.rank', 1),
    width: int(o.width, 'lora.width', 1),
    blocks: o.blocks === undefined ? DEFAULT_LORA_BLOCKS : str(o.blocks, 'lora.blocks'),
    aliases: parseLoraAliases(o.aliases),
    groups: o.groups === undefined ? [] : arr(o.groups, 'lora.groups').map((g, k) => parseLoraGroup(g, `lora.groups[${k}]`)),
  };
  // lora_down is [S,D,P,R,C]: a rank above the feature width cannot come from a real factorisation.
  if (lora.rank > lora.width) {
    fail('lora.rank', `is ${lora.rank}, larger than lora.width ${lora.width}; a LoRA rank cannot exceed the features it factorises`);
  }
  const shapes = new Map<string, string>([[`${lora.width}→${lora.width}`, 'lora.targets']]);
  lora.groups.forEach((g, k) => {
    const field = `lora.groups[${k}]`;
    const other = shapes.get(`${g.in}→${g.out}`);
    if (other) fail(field, `is ${g.in} → ${g.out} features, as ${other} is; targets of one shape are one group`);
    shapes.set(`${g.in}→${g.out}`, field);
    if (lora.rank > Math.min(g.in, g.out)) {
      fail('lora.rank', `is ${lora.rank}, larger than ${field}'s ${Math.min(g.in, g.out)} features; a LoRA rank cannot exceed the features it factorises`);
    }
  });
  const targets = allTargets(lora);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice !== undefined) fail('lora.groups', `lists ${JSON.stringify(twice)} twice among the targets; a layer is in one group`);
  const [problem] = loraNamingProblems({ ...lora, targets });
  if (problem) fail(...problem);
  return lora;
}

/** One `lora.groups` entry: non-square targets of one shape. */
function parseLoraGroup(v: unknown, field: string): { targets: string[]; in: number; out: number } {
  const o = obj(v, field);
  const targets = uniqueStrings(o.targets, `${field}.targets`);
  if (targets.length === 0) fail(`${field}.targets`, 'is empty; a group holds at least one target');
  return { targets, in: int(o.in, `${field}.in`, 1), out: int(o.out, `${field}.out`, 1) };
}

/** `lora.aliases`: other name (dotted, relative to a block) → one of lora.targets; absent = none. */
function parseLoraAliases(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  // fromEntries defines own properties, so even an alias named "__proto__" stays a plain entry.
  return Object.fromEntries(Object.entries(obj(v, 'lora.aliases')).map(([alias, target]) => [alias, str(target, `lora.aliases.${alias}`)]));
}

function parseAdapters(v: unknown, files: FileRegistry, hasLora: boolean): AdapterEntry[] {
  const list = arr(v, 'adapters');
  if (list.length > 0 && !hasLora) {
    fail('adapters', `lists ${list.length} adapter${list.length === 1 ? '' : 's'}, but the package has no "lora" section, so its denoiser has no slots to load them into`, 'add the "lora" section the denoiser was exported with, or remove the adapters');
  }
  const names = new Set<string>();
  return list.map((a, i) => {
    const field = join('adapters', i);
    const o = obj(a, field);
    const name = str(o.name, join(field, 'name'));
    if (names.has(name)) fail(join(field, 'name'), `is ${JSON.stringify(name)}, which an earlier adapter already uses; adapter names must be unique`);
    names.add(name);
    const entry: AdapterEntry = {
      name,
      kind: oneOf(o.kind, join(field, 'kind'), ADAPTER_KINDS),
      file: relPath(o.file, join(field, 'file')),
      description: o.description === undefined ? undefined : relPath(o.description, join(field, 'description')),
      bytes: fileBytes(o.bytes, join(field, 'bytes')),
      sha256: sha(o.sha256, join(field, 'sha256')),
    };
    files.add({ path: entry.file, bytes: entry.bytes, sha256: entry.sha256 }, field);
    return entry;
  });
}

/**
 * The files of the chosen variants, each path once (a graph and its external data may be shared).
 * This is what loading a model downloads; adapters are fetched when first used, by their own entries.
 */
export function variantFiles(manifest: Manifest, variants: Partial<Record<ComponentName, Variant>>): PackageFile[] {
  const out = new Map<string, PackageFile>();
  for (const [name, variant] of Object.entries(variants) as [ComponentName, Variant][]) {
    const component = manifest.components[name];
    const chosen = component?.variants[variant];
    if (!chosen) {
      throw new ManifestError(`components.${name}.variants.${variant}`, `manifest.components.${name}.variants.${variant} does not exist: choose one of ${Object.keys(component?.variants ?? {}).join(', ') || 'none'}`);
    }
    for (const f of chosen.files) out.set(f.path, f);
  }
  return [...out.values()];
}
