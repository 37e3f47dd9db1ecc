/**
 * Types of the model package (docs/model-package.md) and the file-store boundary.
 * `parseManifest` (manifest.ts) turns untrusted JSON into a `Manifest` or throws a
 * ManifestError naming the field. The engine reads files only through a `ModelFileStore`,
 * so it knows nothing of fetch, IndexedDB or the filesystem.
 */
import type { SamplerName } from '../package/request';
import type { RewardSpec } from '../package/reward';
import type { PresetSupport } from '../package/presets';
import type { SigmaSpacing } from '../package/schedule';
import type { SceneSupport } from '../package/scenes';
import type { VaeDecoderFrames, VaeTilingHint } from '../package/vae-decode';
import type { Variant } from '../package/variants';

export const MANIFEST_FORMAT = 'vidlet-model';
export const MANIFEST_VERSION = 1;

export interface PackageFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ComponentVariant {
  /**
   * First file is the ONNX graph; the rest are its external data. With `parts`, every part's files
   * in run order, each part's graph before its own external data.
   */
  files: PackageFile[];
  /**
   * A component run as several graphs one after another (textEncoder only; src/package/parts.ts):
   * how many of `files` belong to each part, in order. Absent: one graph.
   */
  parts?: number[];
  /** GPU features the variant needs, e.g. ['shader-f16']. */
  requires?: string[];
}

export interface Component {
  /** role name → ONNX tensor name */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  variants: Partial<Record<Variant, ComponentVariant>>;
}

export type { ComponentName } from '../package/components';

export interface AdapterEntry {
  name: string;
  kind: 'identity' | 'motion' | 'style';
  file: string;
  description?: string;
  bytes: number;
  sha256: string;
}

/** One `lora.groups` entry: targets of one shape, `in` → `out` features. */
export interface LoraGroupSpec {
  targets: string[];
  in: number;
  out: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  name: string;
  displayName: string;
  description?: string;
  license?: string;
  modelCard?: string;
  /**
   * The size a request without a preset gets (with presets, the default preset's). `attentionScoresBytes`:
   * its attention scores for a batch of 2, as a preset's (src/package/presets.ts Preset), when the package says.
   */
  video: { width: number; height: number; frames: number; fps: number; attentionScoresBytes?: number };
  latent: {
    channels: number;
    frames: number;
    height: number;
    width: number;
    /** Diffusion space is (z - shift) * scale, per channel when a list; the graphs apply it themselves. */
    scale: number | number[];
    shift: number | number[];
  };
  motion?: { channels: number };
  text: {
    tokenizer: string; maxLength: number; hiddenSize: number; vocabulary?: string; lexicon?: string;
    /** contrast.json: the object nouns contrast guidance replaces (src/engine/prompt-contrast.ts); absent: no contrast pass. */
    contrast?: string;
  };
  schedule: {
    type: 'flow-matching';
    shift: number;
    /** How the sampling times are spaced before the shift (src/engine/schedulers/timesteps.ts); 'vidlet' when absent. */
    spacing: SigmaSpacing;
    /** The computed grid's last level before 0, stretched to (src/package/schedule.ts shiftTerminalProblem); absent: no stretch. */
    shiftTerminal?: number;
    /**
     * A distilled model's explicit noise levels, descending in (0, 1] (src/package/schedule.ts); when
     * present, shift is 1, spacing 'vidlet' (neither applies) and defaultSteps is its length.
     */
    sigmas?: number[];
    defaultSteps: number;
    defaultGuidance: number;
    defaultInnerGuidance: number;
    /** Contrast guidance's w3 (src/engine/guidance.ts); 0 when the manifest leaves it out. */
    defaultContrast: number;
    defaultSampler: SamplerName;
  };
  components: {
    textEncoder: Component;
    denoiser: Component;
    vaeDecoder: Component;
    previewDecoder: Component;
    vaeEncoder?: Component;
    /** Scores finished takes (#9); present exactly when `reward` is. */
    rewardModel?: Component;
    /** Denoises scene plans (#10, components.ts denoiserFor); only with scenes.conditioning "per-scene". */
    sceneDenoiser?: Component;
  };
  lora: {
    slots: string[];
    depth: number;
    /** Module paths relative to a block (`attn.q`; diffusers' `attn1.to_q` in converted packages). */
    targets: string[];
    rank: number;
    width: number;
    /**
     * Where the blocks are: adapter tensors are named `{blocks}.{d}.{target}…` (`transformer_blocks`
     * for LTX-Video). parseManifest always sets it (default "blocks", src/package/lora.ts); layouts
     * built by hand may leave it out and mean the default.
     */
    blocks?: string;
    /** Other names trainers give a target (`self_attn.q` → `attn1.to_q`); parseManifest sets it ({} when none). */
    aliases?: Record<string, string>;
    /**
     * Targets that are not `width` → `width` (feed-forward layers), one group per shape, each with
     * its own inputs `lora_down_k` / `lora_up_k` (k from 1; src/package/lora.ts loraGroups).
     * parseManifest sets it ([] when none); layouts built by hand may leave it out.
     */
    groups?: LoraGroupSpec[];
  };
  adapters: AdapterEntry[];
  blender?: PackageFile;
  /** Multi-scene support (#10); absent: one scene of video.frames. */
  scenes?: SceneSupport;
  /** How to read the rewardModel's outputs (src/package/reward.ts); absent: the package scores nothing. */
  reward?: RewardSpec;
  /** The VAE decoder as a causal frame-by-frame pair (src/package/vae-decode.ts); absent: the whole-clip vaeDecoder only. */
  vaeDecoderFrames?: VaeDecoderFrames;
  /** The decoders' spatial axes are dynamic and may be tiled this way (src/package/vae-decode.ts). */
  vaeTiling?: VaeTilingHint;
  /** Clip sizes a request may name (src/package/presets.ts); absent: the one size of video / latent. */
  presets?: PresetSupport;
}

export interface FileProgress {
  path: string;
  loadedBytes: number;
  totalBytes: number;
  fromCache: boolean;
  /** Network downloads only: speed over the last few seconds, and the time left at that speed. */
  bytesPerSecond?: number;
  secondsLeft?: number;
}

/** How ModelFileStore.getFile checks the bytes it returns. */
export interface ReadOptions {
  /**
   * 'always' (the default): every read is hashed. 'if-changed': for a caller that reads the same
   * file again and again (a text encoder in parts reads every part for each new prompt, ~3.9 GB
   * for q4 umT5-XXL): the bytes are returned unhashed when this store hashed this very copy before
   * and can tell that nothing has written it since — a folder's file with the same device, inode,
   * size, mtime and ctime before and after the read; an IndexedDB copy whose complete record is
   * the one it verified, before and after the read (the store writes a new record for every new
   * copy, and marks one complete only after hashing it). Anything else is hashed, as 'always'.
   * What it gives up: bytes changed by something that leaves those untouched (a disk's bit rot,
   * an IndexedDB entry edited by hand) after this store verified them are caught at the next
   * page load or process start, not within this one.
   */
  verify?: 'always' | 'if-changed';
}

/** Where model files come from: a folder (Node), or the network behind an IndexedDB cache (browser). */
export interface ModelFileStore {
  /** The raw manifest JSON (validate with parseManifest). */
  readManifest(base: string): Promise<unknown>;
  /** A small auxiliary file that is not hash-listed (tokenizer.json, vocabulary.json). */
  readText(base: string, path: string): Promise<string>;
  /**
   * A listed file, sha256-verified before it is returned; a corrupt cached copy is fetched again.
   * With `verify: 'if-changed'` (ReadOptions) the hash of a copy this store verified before, and
   * can tell nothing has written since, is not computed again.
   */
  getFile(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Optional: makes sure a later getFile of `file` finds it here (offline too), without returning
   * its bytes. A file the store does not hold whole is fetched and verified now, as getFile would;
   * one it holds whole is neither read nor hashed: its sha256 is checked by the getFile that reads
   * it. The engine calls it at load for the files of sessions made on first use (the scene
   * denoiser's), so a warm start does not read and hash bytes it may never run (#13). A store
   * without it is asked getFile instead and the bytes are dropped.
   */
  ensureStored?(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void): Promise<void>;
  /**
   * Optional: the same store whose reads stop when `signal` aborts (DownloadAbortedError, name
   * 'AbortError'), keeping what is already stored. The engine makes one per model load so that
   * cancel() stops a download; a store without it (a local folder) just reads to the end.
   */
  withSignal?(signal: AbortSignal): ModelFileStore;
  /**
   * Optional: told by the engine after `manifest` from `base` loaded. A caching store deletes what
   * earlier versions of the model left behind (files no saved manifest lists any more); a store
   * that keeps nothing leaves it out. It never throws: the load stands whatever happens here.
   */
  packageLoaded?(base: string, manifest: Manifest): Promise<void>;
}
