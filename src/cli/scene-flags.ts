/**
 * The CLI's scenes (#10): `--scene "text[:frames]"`, repeatable, or the scenes read from --prompt,
 * turned into a ScenePlan by the package's own rules (src/package/scenes.ts, scene-text.ts), so
 * the CLI accepts and refuses exactly what the page does. Pure: args.ts checks the flags against
 * the contract before any model loads; generate.ts checks again against the loaded model.
 */
import { parseScenes } from '../package/scene-text';
import {
  ANY_MODEL, planProblems, sceneCaption, type ScenePlan, type ScenePlanProblem, type SceneSupport,
} from '../package/scenes';

/** One --scene; `frames` absent: the model's default scene length. */
export interface SceneFlag {
  text: string;
  frames?: number;
}

/**
 * `text` or `text:frames`. Only a number after the last colon is a length, so a colon inside the
 * text stays text ("bg: blue", "Scene 1: a star"); a length the plan refuses (12.5, -3) is still
 * read as one, for planProblems to name.
 */
export function parseSceneFlag(value: string): SceneFlag {
  const m = /^(.*):\s*([-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?)\s*$/isu.exec(value);
  if (!m) return { text: value.trim() };
  return { text: m[1]!.trim(), frames: Number(m[2]) };
}

export interface CliScenes {
  plan: ScenePlan;
  from: 'scene flags' | 'prompt';
  /** How the plan was made, for stderr and --json. */
  description: string;
  /** What the model is given: the prompt as typed, or the --scene texts joined as the training captions join scenes. */
  prompt: string;
  problems: ScenePlanProblem[];
}

/**
 * The plan for `--scene` flags (when any) or for `--prompt`, checked against `support` (absent:
 * the contract alone, before a model is loaded). A typed prompt is sent as typed whatever it
 * parses to: it generated before scenes existed and must still.
 */
export function planScenes(input: { prompt?: string; scenes: readonly SceneFlag[] }, support?: SceneSupport): CliScenes {
  const defaultFrames = (support ?? ANY_MODEL).defaultFrames;
  if (input.scenes.length > 0) {
    const plan = input.scenes.map((s) => ({ text: s.text, frames: s.frames ?? defaultFrames }));
    return {
      plan, from: 'scene flags', prompt: sceneCaption(plan), problems: planProblems(plan, support),
      description: `${plan.length === 1 ? '1 scene' : `${plan.length} scenes`} from --scene.`,
    };
  }
  const prompt = input.prompt ?? '';
  const parsed = parseScenes(prompt, defaultFrames);
  return {
    plan: parsed.plan, from: 'prompt', prompt, description: parsed.description,
    // a one-scene prompt's length is the model's own: nothing to say about it
    problems: parsed.plan.length > 1 ? planProblems(parsed.plan, support) : [],
  };
}

/**
 * What `vidlet generate` prints about the scenes (stderr), and its refusal when --scene flags ask
 * for what the loaded model cannot make. A typed prompt is never refused: its problems are notes.
 */
export function sceneReport(s: CliScenes): { lines: string[]; refusal?: string } {
  const lines: string[] = [];
  if (s.from === 'scene flags' || s.plan.length > 1) {
    lines.push(`scenes: ${s.description}`);
    s.plan.forEach((scene, i) => lines.push(`  ${i + 1}. ${scene.frames} frames: ${scene.text === '' ? '(empty)' : scene.text}`));
  }
  const blocking = s.problems.filter((p) => p.blocking);
  if (s.from === 'scene flags' && blocking.length > 0) return { lines, refusal: blocking.map((p) => p.message).join(' ') };
  for (const p of s.problems) lines.push(`note: ${p.message}${p.blocking ? ' The prompt goes to the model as typed.' : ''}`);
  return { lines };
}
