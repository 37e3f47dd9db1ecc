/** `vidlet generate`: one clip from a prompt, written as MP4/WebM/GIF/PNG-zip by src/media. */
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GenerateRequest } from '../engine/types';
import { exportClip, formatFromPath, settingsFromResult } from '../media';
import type { GenerateOptions } from './args';
import { loadNodeEngine } from './node-engine';
import { formatBytes, formatMs, loadLine, StatusWriter, stepLine } from './progress';

export async function runGenerate(opts: GenerateOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const status = new StatusWriter();
  const format = formatFromPath(opts.out); // fail on a bad --out before loading anything
  const { engine, info } = await loadNodeEngine(opts, (p) => status.update(loadLine(p)));
  status.done(`model ${info.displayName} (${info.variant}, ${formatBytes(info.bytes)}) on ${info.backend.description}: ${info.backend.reason}`);

  const request: GenerateRequest = {
    prompt: opts.prompt,
    negativePrompt: opts.negative,
    seed: opts.seed ?? webcrypto.getRandomValues(new Uint32Array(1))[0]!,
    steps: opts.steps ?? info.defaults.steps,
    guidance: opts.guidance ?? info.defaults.guidance,
    innerGuidance: opts.innerGuidance ?? info.defaults.innerGuidance,
    sampler: opts.sampler ?? info.defaults.sampler,
    decodeMotion: opts.decodeMotion,
  };
  const analysis = await engine.analyzePrompt(request.prompt);
  if (analysis.unknownWords.length > 0) {
    process.stderr.write(`note: the model never saw these words in training: ${analysis.unknownWords.join(', ')}\n`);
  }
  if (analysis.truncated) process.stderr.write('note: the prompt is longer than the text encoder reads; the end is cut off\n');
  process.stderr.write(
    `seed ${request.seed}, ${request.steps} steps, ${request.sampler}, guidance ${request.guidance}, inner-guidance ${request.innerGuidance}\n`,
  );

  // Ctrl-C once: cancel within a step; twice: exit now.
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ncancelling after this step… (Ctrl-C again to quit now)\n');
    void engine.cancel();
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await engine.generate(request, { onStep: (s) => status.update(stepLine(s), true) });
  } finally {
    process.off('SIGINT', onSigint);
  }
  status.done();

  const settings = settingsFromResult(result);
  const clip = await exportClip(result.video, result.fps, settings, format);
  const outPath = resolve(opts.out);
  await writeFile(outPath, clip.bytes);
  let motionPath: string | undefined;
  if (result.motion) {
    motionPath = outPath.replace(/(\.[^.]+)$/, '.motion$1');
    const m = await exportClip(result.motion, result.fps, { ...settings, prompt: `${settings.prompt} (motion)` }, format);
    await writeFile(motionPath, m.bytes);
  }
  const t = result.timings;
  process.stderr.write(
    `wrote ${outPath} (${formatBytes(clip.bytes.length)}, ${clip.codec} via ${clip.encoder}) — total ${formatMs(t.totalMs)}: ` +
      `text ${formatMs(t.textEncoderMs)}, denoise ${formatMs(t.denoiseMs)} (${formatMs(t.stepMs)}/call, batch ${result.batch}), ` +
      `previews ${formatMs(t.previewMs)}, decode ${formatMs(t.decodeMs)}\n`,
  );
  await engine.unload();
  if (opts.json) {
    const summary = {
      settings,
      output: { path: outPath, format: clip.format, codec: clip.codec, encoder: clip.encoder, bytes: clip.bytes.length, motionPath },
      timings: t,
      batch: result.batch,
      denoiserCalls: result.denoiserCalls,
      unknownWords: result.unknownWords,
      backend: info.backend,
    };
    stdout.write(`${JSON.stringify(summary)}\n`);
  }
}
