/**
 * The app's typed view of the engine: model loading, one generation at a time, cancel, and
 * what a finished run becomes (a playable clip and a history entry). Components read the two
 * observables and call these methods; they never talk to the engine directly.
 */
import { InvalidRequestError } from '../../engine/errors';
import type { Engine, GenerateResult, LoadOptions, LoadProgress, ModelInfo, ModelSource, PromptAnalysis, StepPreview } from '../../engine/types';
import { sizeRefusal } from '../../package/attention-fit';
import { presetVideo } from '../../package/presets';
import type { TakeScore } from '../../package/reward';
import { makePlayableClip } from './clip-encoder';
import { clipScores, type ClipScores, type RewardModelId } from './clip-scores';
import { addDecodedGroup, finishedDecoding, type DecodedGroup, type DecodedSoFar } from './decoded-frames';
import { frameToPng } from './frames';
import { LoadPreferences } from './load-preferences';
import { presetProblem, settingsForModel, type GenerationSettings } from './generation-settings';
import { entryFromResult, type HistoryEntry, type HistoryStore } from './history-store';
import { checkScenes, requestFromSettings } from './scene-run';
import { activePlan, plannedFrames, supportOf } from './scene-list-state';
import type { ModelStorage } from './model-storage';
import { Observable } from './observable';
import { clearPageGenerateMeasures, LOAD_MEASURES, measured, measureSince, PAGE_GENERATE_MEASURES } from '../../store/load-marks';
import { manifestHash } from './take-vote';
import { isCancellation, toUserError, type UserError } from './user-error';

export type ModelState =
  /** `note`: why it is idle again, e.g. a cancelled download and how much of it is kept. */
  | { kind: 'idle'; note?: string }
  | { kind: 'loading'; progress?: LoadProgress; startedAt: number }
  | { kind: 'ready'; info: ModelInfo; loadMs: number; fromCache: boolean }
  | { kind: 'error'; error: UserError };

export type RunState =
  | { kind: 'idle' }
  | { kind: 'starting'; settings: GenerationSettings; startedAt: number }
  /** `decoded`: the finished frames so far, once a frame-by-frame decoder has sent any (decoded-frames.ts). */
  | { kind: 'running'; settings: GenerationSettings; startedAt: number; step: StepPreview; decoded?: DecodedSoFar }
  | { kind: 'finishing'; settings: GenerationSettings; startedAt: number; step?: StepPreview; decoded?: DecodedSoFar }
  | { kind: 'cancelling'; settings: GenerationSettings; startedAt: number; step?: StepPreview; decoded?: DecodedSoFar }
  /** `note`: what the cancel left behind, e.g. how much of a model download stays stored. */
  | { kind: 'cancelled'; afterSteps: number; note?: string }
  | { kind: 'done'; entry: HistoryEntry }
  | { kind: 'error'; error: UserError };

export type ActiveRun = Extract<RunState, { kind: 'starting' | 'running' | 'finishing' | 'cancelling' }>;

export function isActive(state: RunState): state is ActiveRun {
  return state.kind === 'starting' || state.kind === 'running' || state.kind === 'finishing' || state.kind === 'cancelling';
}

export interface EngineSessionOptions {
  source: ModelSource;
  load?: LoadOptions;
  /** The user's load settings, merged over `load` at each load (default: in memory, all off). */
  preferences?: LoadPreferences;
  /** Also decode the motion latent (flow as colour) when the model has one. */
  decodeMotion?: boolean;
  /**
   * Runs inside every model load, before the model is reported ready (e.g. the user's adapters
   * are added to the engine again). It must not throw: its own problems are its to show.
   */
  onModelLoaded?: (info: ModelInfo) => Promise<void>;
}

export class EngineSession {
  readonly model = new Observable<ModelState>({ kind: 'idle' });
  readonly run = new Observable<RunState>({ kind: 'idle' });
  /** Step events of the current run; tests and the preview read it. */
  stepCount = 0;
  readonly preferences: LoadPreferences;

  readonly #engine: Engine;
  readonly #history: HistoryStore;
  readonly #options: EngineSessionOptions;
  #source: ModelSource;
  #loading?: Promise<ModelInfo>;
  #cancelRequested = false;

  constructor(
    engine: Engine,
    history: HistoryStore,
    readonly storage: ModelStorage,
    options: EngineSessionOptions,
  ) {
    this.#engine = engine;
    this.#history = history;
    this.#options = options;
    this.#source = options.source;
    this.preferences = options.preferences ?? new LoadPreferences(undefined);
  }

  get engine(): Engine {
    return this.#engine;
  }

  get source(): ModelSource {
    return this.#source;
  }

  /**
   * Makes `source` the model later loads use: the current model is unloaded (a download under way
   * is stopped; its finished chunks stay) and the state goes back to idle, so the caller's next
   * ensureModel() loads the new one. Refused while a generation runs: it would lose its model.
   */
  async switchModel(source: ModelSource): Promise<void> {
    if (isActive(this.run.value)) throw new Error('A generation is running: let it finish or press Cancel, then switch models.');
    const loading = this.#loading;
    if (loading) {
      await this.#engine.cancel();
      await loading.catch(() => {});
    }
    await this.#engine.unload();
    this.#source = source;
    this.model.set({ kind: 'idle' });
  }

  /**
   * Keeps a text encoder in parts loaded, or not, from now on: the preference is stored, and a model
   * loaded or loading is loaded again with it (a load option: the engine decides it at load and
   * reports it in ModelInfo.textEncoderParts). Refused while a generation runs, as a switch is.
   */
  async setKeepTextEncoder(keep: boolean): Promise<void> {
    if (isActive(this.run.value)) throw new Error('A generation is running: let it finish or press Cancel, then change this setting.');
    this.preferences.keepTextEncoder.set(keep);
    const kind = this.model.value.kind;
    if (kind !== 'ready' && kind !== 'loading') return;
    await this.switchModel(this.#source);
    await this.ensureModel();
  }

  /** Loads the model once; concurrent callers share the same load. */
  ensureModel(): Promise<ModelInfo> {
    const state = this.model.value;
    if (state.kind === 'ready') return Promise.resolve(state.info);
    // Measured on the page's timeline (src/store/load-marks.ts): from here to the ready state.
    this.#loading ??= measured(LOAD_MEASURES.pageLoad, () => this.#load()).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(): Promise<ModelInfo> {
    const startedAt = performance.now();
    let sawNetwork = false;
    this.model.set({ kind: 'loading', startedAt });
    try {
      const info = await this.#engine.loadModel(this.#source, { ...this.#options.load, ...this.preferences.loadOptions() }, (progress) => {
        if (progress.phase === 'download' && !progress.fromCache) sawNetwork = true;
        this.model.set({ kind: 'loading', startedAt, progress });
      });
      await measured(LOAD_MEASURES.pageAfterLoad, async () => this.#options.onModelLoaded?.(info)).catch((error) => console.error('After model load:', error));
      this.model.set({ kind: 'ready', info, loadMs: performance.now() - startedAt, fromCache: !sawNetwork });
      void this.storage.refresh().catch(() => {});
      // The model is stored now; ask (once) that the browser not evict it.
      void this.storage.keepPersistently();
      return info;
    } catch (error) {
      // A cancelled download is not a failure: the kept chunks make the next load resume.
      this.model.set(isCancellation(error) ? { kind: 'idle', note: (error as Error).message } : { kind: 'error', error: toUserError(error) });
      if (isCancellation(error)) void this.storage.refresh().catch(() => {});
      throw error;
    }
  }

  /** Runs one generation to a history entry. Resolves undefined when cancelled or failed (see `run`). */
  async generate(settings: GenerationSettings): Promise<HistoryEntry | undefined> {
    if (isActive(this.run.value)) return undefined;
    // The page's part of the first preview's time (load-marks.ts PAGE_GENERATE_MEASURES).
    clearPageGenerateMeasures();
    const startedAt = performance.now();
    this.#cancelRequested = false;
    this.stepCount = 0;
    this.run.set({ kind: 'starting', settings, startedAt });
    try {
      const info = await this.ensureModel();
      if (this.#cancelRequested) {
        this.run.set({ kind: 'cancelled', afterSteps: 0 });
        return undefined;
      }
      // A distilled model's fixed step count replaces the form's (generation-settings.ts).
      const run = settingsForModel(settings, info);
      // A size whose attention this device cannot hold is never sent: the engine's refusal, in its words.
      const size = presetProblem(run, info);
      if (size) throw new InvalidRequestError(sizeRefusal(run.preset, size), { field: 'preset' });
      // Decoded frames are asked for only from a frame-by-frame decoder: a one-call decoder would
      // send the whole clip just before the result brings it again.
      const onFrames = info.vaeDecode?.graphs === 'frames' ? this.#framesListener(run, info) : undefined;
      measureSince(PAGE_GENERATE_MEASURES.request, startedAt);
      const result = await this.#engine.generate(
        { ...requestFromSettings(run), decodeMotion: (this.#options.decodeMotion ?? true) && info.hasMotion },
        { onStep: (step) => this.#onStep(run, startedAt, step), ...(onFrames ? { onFrames } : {}) },
      );
      // A component that moved to WebAssembly during the run (parts-fallback.ts): the model panel says so.
      const model = this.model.value;
      if (result.modelBackend && model.kind === 'ready') this.model.set({ ...model, info: { ...model.info, backend: result.modelBackend } });
      // Cancel pressed while the last step or the decode ran: the user asked not to have it.
      if (this.#cancelRequested) {
        this.run.set({ kind: 'cancelled', afterSteps: this.stepCount });
        return undefined;
      }
      // The clip itself replaces the joined groups: the page holds the frames once while it encodes.
      const decoded = this.#decoded() && finishedDecoding(result.video);
      this.run.set({ kind: 'finishing', settings: run, startedAt, step: this.#lastStep(), ...(decoded ? { decoded } : {}) });
      const entry = await this.#finish(result, run);
      this.run.set({ kind: 'done', entry });
      return entry;
    } catch (error) {
      if (isCancellation(error) || this.#cancelRequested) {
        const note = isCancellation(error) && error instanceof Error && error.message.startsWith('Download cancelled') ? error.message : undefined;
        this.run.set({ kind: 'cancelled', afterSteps: this.stepCount, ...(note ? { note } : {}) });
      } else this.run.set({ kind: 'error', error: toUserError(error) });
      return undefined;
    }
  }

  #onStep(settings: GenerationSettings, startedAt: number, step: StepPreview): void {
    this.stepCount++;
    if (this.stepCount === 1) measureSince(PAGE_GENERATE_MEASURES.firstStep, startedAt);
    const state = this.run.value;
    // A late step after Cancel keeps the "Cancelling" state but still shows the newest preview;
    // one after the result came keeps "finishing" (the step preview is not shown then).
    if (state.kind === 'cancelling' || state.kind === 'finishing') this.run.set({ ...state, step });
    else if (isActive(state)) {
      // Steps and decoded frames come from the worker on different ports, so the last step can
      // arrive after the first decoded group: it must not drop the frames decoded so far.
      const decoded = 'decoded' in state ? state.decoded : undefined;
      this.run.set({ kind: 'running', settings, startedAt, step, ...(decoded ? { decoded } : {}) });
    }
  }

  #framesListener(settings: GenerationSettings, info: ModelInfo): (group: DecodedGroup) => void {
    // The clip's length as planned; addDecodedGroup takes more if more come.
    // (A size preset's length, when the model has presets: settings.preset is the one the run makes.)
    const frames = presetVideo(info, settings.preset).frames;
    const expectedFrames = plannedFrames(activePlan(settings), supportOf(info), frames);
    return (group) => this.#onFrames(group, expectedFrames);
  }

  #onFrames(group: DecodedGroup, expectedFrames: number): void {
    const state = this.run.value;
    if (state.kind !== 'running' && state.kind !== 'cancelling') return;
    let decoded: DecodedSoFar;
    try {
      decoded = addDecodedGroup(state.decoded, group, expectedFrames);
    } catch (error) {
      // Only the preview of the decode is lost; the finished clip still comes with the result.
      console.error('Decoded frames not shown:', error);
      return;
    }
    this.run.set({ ...state, decoded });
  }

  #decoded(): DecodedSoFar | undefined {
    const state = this.run.value;
    return isActive(state) && 'decoded' in state ? state.decoded : undefined;
  }

  #lastStep(): StepPreview | undefined {
    const state = this.run.value;
    return isActive(state) && 'step' in state ? state.step : undefined;
  }

  async cancel(): Promise<void> {
    const state = this.run.value;
    if (!isActive(state) || state.kind === 'cancelling') return;
    this.#cancelRequested = true;
    const decoded = this.#decoded();
    this.run.set({ kind: 'cancelling', settings: state.settings, startedAt: state.startedAt, step: this.#lastStep(), ...(decoded ? { decoded } : {}) });
    await this.#engine.cancel();
  }

  /** Stops a model download started without a generation (e.g. at page load); the kept chunks stay. */
  async cancelLoad(): Promise<void> {
    if (isActive(this.run.value)) return this.cancel();
    if (this.model.value.kind === 'loading') await this.#engine.cancel();
  }

  async #finish(result: GenerateResult, settings: GenerationSettings): Promise<HistoryEntry> {
    const sceneCheck = checkScenes(settings, result.video);
    const origin = {
      settings, model: result.model, variant: result.variant, backend: result.backend, fps: result.fps, video: result.video,
      ...(sceneCheck ? { sceneCheck } : {}),
    };
    const [clip, thumbnail] = await Promise.all([
      makePlayableClip(origin),
      frameToPng(result.video, Math.floor(result.video.frames / 2)),
    ]);
    const entry = entryFromResult(result, settings, thumbnail, clip.blob);
    if (sceneCheck) entry.sceneCheck = sceneCheck;
    if (!clip.blob) entry.clipProblem = clip.problem;
    try {
      await this.#history.add(entry);
    } catch (error) {
      // The clip is still shown; only keeping it failed (e.g. storage full).
      entry.saveProblem = `Not saved to history: ${error instanceof Error ? error.message : String(error)}`;
    }
    return entry;
  }

  /**
   * Keeps takes' reward scores (in the takes' order) with their history entries. Never throws: the
   * scores on screen stand when keeping them fails, as a clip does when its entry cannot be saved.
   */
  async keepScores(takes: readonly { id: string }[], scores: readonly TakeScore[], rewardModel: RewardModelId): Promise<void> {
    try {
      await this.#history.keepScores(takes.map((t, i) => ({ id: t.id, scores: clipScores(scores[i]!, rewardModel) })));
    } catch (error) {
      console.error('Scores not kept in history:', error);
    }
  }

  /**
   * Scores one history clip with the model's reward model (loading the model first if need be)
   * and keeps the scores with it. Rejects with the engine's NoRewardModelError when the model has
   * none, and while a generation runs (the engine does one thing at a time).
   */
  async scoreEntry(id: string): Promise<ClipScores> {
    if (isActive(this.run.value)) throw new Error('A generation is running: score the clip once it has finished.');
    const info = await this.ensureModel();
    if (!this.#engine.scoreTakes) throw new Error('This engine cannot score clips.');
    const entry = await this.#history.open(id);
    if (!entry) throw new Error('This clip is no longer stored, so it cannot be scored.');
    const [score] = await this.#engine.scoreTakes([entry.video], entry.settings.prompt);
    // Without the manifest's hash the package's name still says which reward model it was.
    const sha256 = await manifestHash(this.#source.base).catch(() => undefined);
    const scores = clipScores(score!, { name: info.name, sha256 });
    await this.#history.keepScores([{ id, scores }]);
    return scores;
  }

  /** Words the model does not know and colour names it reads as colours; undefined until a model is loaded (the tokenizer comes with it). */
  async analyzePrompt(prompt: string): Promise<PromptAnalysis | undefined> {
    if (this.model.value.kind !== 'ready' || prompt.trim() === '') return undefined;
    return this.#engine.analyzePrompt(prompt);
  }

  /**
   * Has the engine encode the text these settings would generate from, while the user pauses
   * (#13: Generate then starts at the denoiser). A hint: a failure is left to Generate to report.
   */
  async prepareText(settings: GenerationSettings): Promise<void> {
    if (this.model.value.kind !== 'ready' || isActive(this.run.value) || settings.scenes?.length || settings.prompt.trim() === '') return;
    const { prompt, negativePrompt, guidance, innerGuidance, contrast } = requestFromSettings(settings);
    await this.#engine.prepareText?.({ prompt, negativePrompt, guidance, innerGuidance, contrast }).catch(() => undefined);
  }

  /** Frees the engine's sessions and deletes the model's cached files; the next Generate downloads it again. */
  async deleteCachedModel(name: string): Promise<void> {
    if (isActive(this.run.value)) await this.cancel();
    await this.#engine.unload();
    this.model.set({ kind: 'idle' });
    await this.storage.deleteModel(name);
  }
}
