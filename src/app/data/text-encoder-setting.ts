/**
 * What the model panel says beside its "Keep the text encoder loaded" checkbox for a model whose
 * text encoder is in parts (ModelInfo.textEncoderParts): what keeping costs, in bytes, and, when the
 * load was asked to keep it, what it did (src/engine/parts-residency.ts describeResidency, the CLI's
 * sentence too). Pure.
 */
import { describeResidency, keptExtraBytes, type TextEncoderParts } from '../../engine/parts-residency';
import { formatBytes } from './format-units';

export interface TextEncoderSetting {
  label: string;
  /** What ticking it costs and gives. */
  cost: string;
  /** What this load does when asked to keep them: kept, or why not; absent when not asked (`cost` says it all). */
  status?: string;
  /** The box ticked here differs from what the model was loaded with (its reload failed or is under way). */
  pending: boolean;
}

export function textEncoderSetting(parts: TextEncoderParts, keep: boolean): TextEncoderSetting {
  const asked = parts.kept || parts.note !== undefined;
  return {
    label: 'Keep the text encoder loaded',
    cost:
      `New prompts start sooner (its ${parts.parts} parts are not read and set up again); holds ${formatBytes(keptExtraBytes(parts))} more memory ` +
      `(${formatBytes(parts.allBytes)} instead of ${formatBytes(parts.largestPartBytes)}). Changing it loads the model again.`,
    ...(asked ? { status: describeResidency(parts) } : {}),
    pending: keep !== asked,
  };
}
