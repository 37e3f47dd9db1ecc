/** `vidlet generate`: one clip from a prompt, written as MP4/WebM/GIF/PNG-zip by src/media. */
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AdapterSettings, GenerateRequest, ModelInfo } from '../engine/types';
import { missingFromPair } from '../engine/adapters/slot-plan';
import { describeResidency } from '../engine/parts-residency';
import { exportClip, formatFromPath, settingsFromResult } from '../media';
import { randomSeed } from '../package/request';
import { fixedStepsNote, stepsProblem } from '../package/schedule';
import { canMake, singleSceneSupport } from '../package/scenes';
import { describePreset, presetVideo } from '../package/presets';
import { addedLine, readAdapterFile } from './adapter-files';
import { UsageError, type GenerateOptions } from './args';
import { bestOfRefusal, bestOfSummary, rankingLines } from './best-of';
import { loadNodeEngine } from './node-engine';
import { formatBytes, formatMs, framesLine, loadLine, StatusWriter, stepLine } from './progress';
import { planScenes, sceneReport } from './scene-flags';
import { vaeDecodeLine, withVaeFlags } from './vae-flags';

export async function runGenerate(opts: GenerateOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const status = new StatusWriter();
  const format = formatFromPath(opts.out); // fail on a bad --out before loading anything
  const tLoad = performance.now();
  const { engine, info } = await loadNodeEngine(opts, (p) => status.update(loadLine(p)), undefined, opts.vaeDecode ? { vaeDecode: opts.vaeDecode } : {})
    .catch((e: unknown) => {
      throw withVaeFlags(e, opts.vaeDecode);
    });
  const loadMs = performance.now() - tLoad;
  status.done(`model ${info.displayName} (${info.variant}, ${formatBytes(info.bytes)}) on ${info.backend.description}: ${info.backend.reason}`);
  // Said when there was a choice (flags, or a package that decodes in pieces), not for every one-call decoder.
  const vae = info.vaeDecode;
  if (vae && (opts.vaeDecode || vae.graphs === 'frames' || vae.tiling)) process.stderr.write(`${vaeDecodeLine(vae)}\n`);
  if (info.textEncoderParts) process.stderr.write(`note: ${describeResidency(info.textEncoderParts)}\n`);

  const scenes = await checkAgainstModel(opts, engine, info);
  await addAdapterFiles(opts, engine);
  const request = buildRequest(opts, info, () => randomSeed(() => webcrypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32));
  // A plan of several scenes the model can make goes with its caption: a per-scene package makes
  // each scene from its own text (#10); the engine refuses nothing canMake accepted here.
  if (scenes.plan.length > 1 && canMake(scenes.problems)) request.scenes = scenes.plan;
  await describeRequest(request, engine);

  const { result, best } = await generateInterruptibly(opts, engine, info, request, status);
  status.done();
  if (best) for (const line of rankingLines(best, opts.out)) process.stderr.write(`${line}\n`);
  // The engine's word on the scenes (a one-caption package), unless sceneReport already said it.
  const sceneNote = result.scenes?.note;
  if (sceneNote && !sceneReport(scenes).lines.some((l) => l.includes(sceneNote))) process.stderr.write(`note: ${sceneNote}\n`);

  if (result.modelBackend) process.stderr.write(`note: ${result.modelBackend.reason}\n`);
  const written = await writeClips(result, format, opts.out);
  await engine.unload();
  if (opts.json) {
    const t = result.timings;
    const summary = {
      settings: written.settings,
      output: { path: written.outPath, format: written.clip.format, codec: written.clip.codec, encoder: written.clip.encoder, bytes: written.clip.bytes.length, motionPath: written.motionPath },
      timings: { ...t, loadMs, encodeMs: written.encodeMs },
      batch: result.batch,
      denoiserPasses: result.passes,
      denoiserCalls: result.denoiserCalls,
      innerGuidanceActive: request.innerGuidance > 0 && info.hasMotion,
      unknownWords: result.unknownWords,
      adapters: result.request.adapters ?? [],
      blend: result.request.blend ?? 'constant',
      ...(result.preset === undefined ? {} : { preset: result.preset }),
      backend: result.modelBackend ?? info.backend,
      ...(info.vaeDecode ? { vaeDecode: info.vaeDecode } : {}),
      ...(info.textEncoderParts ? { textEncoderParts: info.textEncoderParts } : {}),
      scenes: { from: scenes.from, description: scenes.description, plan: scenes.plan, ...(result.scenes ? { made: result.scenes } : {}) },
      ...(best ? { bestOf: bestOfSummary(best) } : {}),
    };
    stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

type NodeEngine = Awaited<ReturnType<typeof loadNodeEngine>>['engine'];
type Generated = Awaited<ReturnType<NodeEngine['generate']>>;

/**
 * The flags against this model's own limits (the contract's were checked before loading), before
 * any step: a refusal unloads the model and says which flag. Returns the scene plan; the prompt is
 * already the scenes' caption (args.ts).
 */
async function checkAgainstModel(opts: GenerateOptions, engine: NodeEngine, info: ModelInfo) {
  const scenes = planScenes({ prompt: opts.prompt, scenes: opts.scenes ?? [] }, info.scenes ?? singleSceneSupport(info.video.frames));
  const report = sceneReport(scenes);
  for (const line of report.lines) process.stderr.write(`${line}\n`);
  // A distilled model takes only its own step count: a --steps asking another is refused by name
  // (the engine would refuse the request in the same words), leaving it out takes the count.
  // Best-of-N is refused before any take: a model without a reward model would otherwise cost N generations first.
  const refusal = report.refusal ? `--scene: ${report.refusal}` : stepsRefusal(opts.steps, info) ?? presetRefusal(opts.preset, info) ?? (opts.bestOf === undefined ? undefined : bestOfRefusal(info));
  if (refusal) {
    await engine.unload();
    throw new UsageError(refusal);
  }
  if (info.fixedSteps !== undefined) process.stderr.write(`${fixedStepsNote(info.fixedSteps)}\n`);
  return scenes;
}

/** --adapter FILE.safetensors and --lora FILE.safetensors[:S]: the description is FILE.json beside it, if any. */
async function addAdapterFiles(opts: GenerateOptions, engine: NodeEngine): Promise<void> {
  const addFile = async (file: string, flag: string) => {
    const { weights, description } = await readAdapterFile(file, flag, async (path) => new Uint8Array(await readFile(path)));
    return engine.addAdapter(weights, description, file);
  };
  for (const file of opts.adapterFiles ?? []) {
    const added = await addFile(file, '--adapter');
    process.stderr.write(`${addedLine(added, file, opts.loras?.some((l) => l.name === added.name) ? '' : `; use it with --lora ${added.name}`)}\n`);
  }
  for (const lora of opts.loras ?? []) {
    if (!lora.file) continue;
    const added = await addFile(lora.file, '--lora');
    lora.name = added.name;
    process.stderr.write(`${addedLine(added, lora.file)}\n`);
  }
}

/** What will run, and what in the prompt the model cannot read, before the first step. */
async function describeRequest(request: GenerateRequest & AdapterSettings, engine: NodeEngine): Promise<void> {
  if (request.adapters) process.stderr.write(`adapters: ${request.adapters.map((a) => `${a.name}${a.strength !== undefined ? `:${a.strength}` : ''}`).join(', ')} (${request.blend ?? 'constant'})\n`);
  const analysis = await engine.analyzePrompt(request.prompt);
  if (analysis.unknownWords.length > 0) {
    process.stderr.write(`note: the model never saw these words in training: ${analysis.unknownWords.join(', ')}\n`);
  }
  if (analysis.colourNames.length > 0) {
    process.stderr.write(`note: colour names read as: ${analysis.colourNames.map((c) => `${c.written} → ${c.colour}`).join(', ')}\n`);
  }
  if (analysis.truncated) process.stderr.write('note: the prompt is longer than the text encoder reads; the end is cut off\n');
  process.stderr.write(
    `seed ${request.seed}, ${request.steps} steps, ${request.sampler}, guidance ${request.guidance}, inner-guidance ${request.innerGuidance}, contrast ${request.contrast ?? 0}` +
      `${request.preset === undefined ? '' : `, preset ${request.preset}`}\n`,
  );
}

/** One clip, or the takes of best-of-N, with progress lines; Ctrl-C once cancels within a step, twice exits now. */
async function generateInterruptibly(
  opts: GenerateOptions,
  engine: NodeEngine,
  info: ModelInfo,
  request: GenerateRequest & AdapterSettings,
  status: StatusWriter,
) {
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ncancelling after this step… (Ctrl-C again to quit now)\n');
    void engine.cancel();
  };
  process.on('SIGINT', onSigint);
  try {
    const onStep = (s: Parameters<typeof stepLine>[0]) => status.update(stepLine(s), true);
    // Groups of frames come one by one only from a frame-by-frame decoder: say which are being
    // decoded (of each take, for best-of-N).
    const expected = request.scenes ? request.scenes.reduce((n, s) => n + s.frames, 0) : presetVideo(info, request.preset).frames;
    const onFrames = info.vaeDecode?.graphs === 'frames'
      ? (p: { firstFrame: number; frames: { frames: number } }) => status.update(framesLine(p.firstFrame, p.frames.frames, expected), true)
      : undefined;
    if (opts.bestOf === undefined) {
      return { result: await engine.generate(request, { onStep, ...(onFrames ? { onFrames } : {}) }), best: undefined };
    }
    const n = opts.bestOf;
    const best = await engine.generateBestOf(request, { n, rankBy: opts.rankBy ?? 'overall' }, {
      onStep,
      ...(onFrames ? { onFrames } : {}),
      onTake: (t) => {
        if (t.index > 0) status.done();
        process.stderr.write(`take ${t.index + 1}/${n}, seed ${t.seed}\n`);
      },
    });
    return { result: best.takes[0]!.result, best };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The clip (and its motion clip, from a model with a motion head) in the format of --out's extension. */
async function writeClips(result: Generated, format: ReturnType<typeof formatFromPath>, out: string) {
  const tEnc = performance.now();
  const settings = settingsFromResult(result);
  const clip = await exportClip(result.video, result.fps, settings, format);
  const outPath = resolve(out);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, clip.bytes);
  let motionPath: string | undefined;
  if (result.motion) {
    motionPath = outPath.replace(/(\.[^.]+)$/, '.motion$1');
    const m = await exportClip(result.motion, result.fps, { ...settings, prompt: `${settings.prompt} (motion)` }, format);
    await writeFile(motionPath, m.bytes);
  }
  const encodeMs = performance.now() - tEnc;
  const t = result.timings;
  process.stderr.write(
    `wrote ${outPath} (${formatBytes(clip.bytes.length)}, ${clip.codec} via ${clip.encoder}) — total ${formatMs(t.totalMs)}: ` +
      `text ${formatMs(t.textEncoderMs)}, denoise ${formatMs(t.denoiseMs)} (${formatMs(t.stepMs)}/call, batch ${result.batch}), ` +
      `previews ${formatMs(t.previewMs ?? 0)}, decode ${formatMs(t.decodeMs)}\n`,
  );
  return { settings, clip, outPath, motionPath, encodeMs };
}

/** Why `--steps` cannot run on this model (one with a fixed sigma list), or undefined. */
export function stepsRefusal(steps: number | undefined, info: Pick<ModelInfo, 'fixedSteps'>): string | undefined {
  const problem = steps === undefined ? undefined : stepsProblem(steps, info.fixedSteps);
  return problem && `--steps ${problem} Leave --steps out to take it.`;
}

/** Why `--preset` cannot run on this model (no presets, or not one of them), or undefined. */
export function presetRefusal(preset: string | undefined, info: Pick<ModelInfo, 'name' | 'video' | 'presets'>): string | undefined {
  if (preset === undefined) return undefined;
  if (!info.presets) return `--preset ${preset}: ${info.name} has no size presets; it makes ${info.video.frames} frames of ${info.video.width}×${info.video.height} only. Leave --preset out.`;
  if (info.presets.some((p) => p.name === preset)) return undefined;
  return `--preset ${preset}: ${info.name} has no such preset; it has ${info.presets.map(describePreset).join('; ')}.`;
}

/** The request: the user's flags over the model's manifest defaults. */
export function buildRequest(o: GenerateOptions, info: ModelInfo, drawSeed: () => number): GenerateRequest & AdapterSettings {
  return {
    prompt: o.prompt,
    ...(o.negative !== undefined ? { negativePrompt: o.negative } : {}),
    seed: o.seed ?? drawSeed(),
    steps: o.steps ?? info.defaults.steps,
    guidance: o.guidance ?? info.defaults.guidance,
    innerGuidance: o.innerGuidance ?? info.defaults.innerGuidance,
    contrast: o.contrast ?? info.defaults.contrast,
    sampler: o.sampler ?? info.defaults.sampler,
    ...(o.preset !== undefined ? { preset: o.preset } : {}),
    ...(o.decodeMotion ? { decodeMotion: true } : {}),
    ...(o.loras?.length ? { adapters: o.loras.map(({ name, strength }) => (strength === undefined ? { name } : { name, strength })) } : {}),
    ...(o.blend ? { blend: o.blend } : pairOfTable(o, info) ? { blend: 'dualreal' as const } : {}),
  };
}

/** Both adapters of the model's StageBlender table requested: they were trained under it, so
 * DualReal is the default blend for them (as in the page); --blend constant overrides. */
function pairOfTable(o: GenerateOptions, info: ModelInfo): boolean {
  return !!info.blender && missingFromPair(info.blender, (o.loras ?? []).map((l) => l.name)).length === 0;
}
