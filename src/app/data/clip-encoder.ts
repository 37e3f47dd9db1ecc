/**
 * The app's one door to src/media: encoding frames to a file (settings embedded) and reading
 * settings back from a dropped file. Kept small so the rest of the app does not depend on
 * media's exact signatures.
 */
import type { FramesRGBA } from '../../engine/types';
import { encodeClip } from '../../media/encode';
import { MIME_TYPES } from '../../media/formats';
import { restoreSettings } from '../../media/restore';
import { SETTINGS_APP, versionFor, type ClipSettings, type SceneCheck } from '../../media/settings';
import type { GenerationSettings } from './generation-settings';

export type ExportFormat = 'mp4' | 'webm' | 'gif' | 'zip';

export const EXPORT_FORMATS: { format: ExportFormat; label: string; extension: string }[] = [
  { format: 'mp4', label: 'MP4', extension: 'mp4' },
  { format: 'webm', label: 'WebM', extension: 'webm' },
  { format: 'gif', label: 'GIF', extension: 'gif' },
  { format: 'zip', label: 'PNG frames (zip)', extension: 'zip' },
];

/** What a clip needs to carry its settings: the request and where it was made. */
export interface ClipOrigin {
  settings: GenerationSettings;
  model: string;
  variant: string;
  backend: string;
  fps: number;
  video: FramesRGBA;
  /** Scenes found against scenes asked, when a scene plan was checked (#10). */
  sceneCheck?: SceneCheck;
}

export function clipSettings(origin: ClipOrigin): ClipSettings {
  const s = origin.settings;
  // Only when a plan was used, so one-prompt clips read exactly as before (and stay version 1).
  const scenes = {
    ...(s.scenes?.length ? { scenes: s.scenes.map((x) => ({ text: x.text, frames: x.frames })) } : {}),
    ...(origin.sceneCheck ? { sceneCheck: { ...origin.sceneCheck, cuts: origin.sceneCheck.cuts.slice() } } : {}),
  };
  return {
    app: SETTINGS_APP,
    version: versionFor(scenes),
    prompt: s.prompt,
    negativePrompt: s.negativePrompt ?? '',
    seed: s.seed,
    steps: s.steps,
    guidance: s.guidance,
    innerGuidance: s.innerGuidance,
    ...(s.contrast !== undefined ? { contrast: s.contrast } : {}),
    sampler: s.sampler,
    model: origin.model,
    variant: origin.variant as ClipSettings['variant'],
    backend: origin.backend as ClipSettings['backend'],
    fps: origin.fps,
    frames: origin.video.frames,
    width: origin.video.width,
    height: origin.video.height,
    createdAt: new Date().toISOString(),
    // Only when adapters were used, so clips without them read exactly as before.
    ...(s.adapters?.length ? { adapters: s.adapters, ...(s.blend ? { blend: s.blend } : {}) } : {}),
    ...scenes,
  };
}

export async function exportClip(origin: ClipOrigin, format: ExportFormat): Promise<Blob> {
  const bytes = await encodeClip(origin.video, origin.fps, clipSettings(origin), format);
  return new Blob([bytes], { type: mimeOf(format) });
}

function mimeOf(format: ExportFormat): string {
  return (MIME_TYPES as Record<string, string>)[format] ?? 'application/octet-stream';
}

export type PlayableClip = { blob: Blob; format: 'webm' | 'mp4' } | { blob: undefined; problem: string };

/**
 * A file the page's <video> element can play: WebM first (VP9/VP8 encoders ship in every
 * Chromium, H.264 encoding does not), then MP4. When neither works we say why, and the player
 * shows the frames on a canvas.
 */
export async function makePlayableClip(origin: ClipOrigin): Promise<PlayableClip> {
  const problems: string[] = [];
  for (const format of ['webm', 'mp4'] as const) {
    if (document.createElement('video').canPlayType(mimeOf(format)) === '') {
      problems.push(`${format.toUpperCase()}: this browser cannot play it`);
      continue;
    }
    try {
      return { blob: await exportClip(origin, format), format };
    } catch (error) {
      problems.push(`${format.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { blob: undefined, problem: problems.join('; ') };
}

/** Settings embedded in a file exported by Vidlet; throws a readable error for other files. */
export async function settingsFromFile(file: File): Promise<ClipSettings> {
  return (await restoreSettings(file)).settings;
}
