/**
 * The installed models (#11): the embedded one and those the user added by URL or from a folder,
 * which one the engine session uses, adding (checked against this device before any weight is
 * fetched or stored), switching and removing. The rules are model-library-state.ts and
 * model-fit.ts; this file does the I/O: the manifest fetch, the worker's plan and folder import
 * (the worker owns the model cache), the engine session, and localStorage for the library itself
 * (read synchronously at start-up, so the first load already uses the active model).
 */
import type { LoadOptions } from '../../engine/types';
import type { ImportedPackage, ImportProgress, LocalFile } from '../../store/local-import';
import { packagePaths } from '../../store/package-files';
import type { PackagePlan } from '../../worker/engine-host';
import { isActive, type EngineSession } from './engine-session';
import { fitProblems, type FitProblem } from './model-fit';
import {
  activeModel, emptyLibrary, LibraryError, listModels, modelFolderUrl, readLibrary, withActive, withAdded, withRemoved,
  type LibraryEntry, type LibraryState,
} from './model-library-state';
import { Observable } from './observable';

const STORAGE_KEY = 'vidlet.models.v1';

/** The worker calls the library makes (EngineClient has them). */
export interface LibraryRemote {
  planPackage(manifestJson: unknown, options?: LoadOptions): Promise<PackagePlan>;
  importLocalPackage(files: LocalFile[], onProgress?: (p: ImportProgress) => void): Promise<ImportedPackage>;
}

/** A package looked at but not added yet: what the panel shows before "Add". */
export interface Candidate {
  origin: 'url' | 'local';
  /** The folder URL (url), or the picked folder's name (local). */
  where: string;
  plan: PackagePlan;
  /** Bytes it needs in storage: the download for url, every listed file for local. */
  storeBytes: number;
  problems: FitProblem[];
}

export type LibraryActivity =
  | { kind: 'idle' }
  | { kind: 'checking'; where: string }
  | { kind: 'importing'; progress?: ImportProgress }
  | { kind: 'removing'; id: string };

/** A package looked at and shown to the user, waiting for "Add" (the files too, for a folder). */
export interface Pending {
  candidate: Candidate;
  files?: LocalFile[];
}

export class ModelLibrary {
  readonly state: Observable<LibraryState>;
  readonly activity = new Observable<LibraryActivity>({ kind: 'idle' });
  /** What the panel offers to add; set by check(), wherever the address or folder came from (a drop on the page too). */
  readonly pending = new Observable<Pending | undefined>(undefined);
  /** The last refusal or failure, in words for the user; cleared by the next action. */
  readonly problem = new Observable<string | undefined>(undefined);

  /**
   * The load options a package is planned with before it is added (the user's LoadPreferences), so
   * the panel shows what loading it would hold: a text encoder kept loaded counts whole.
   */
  planOptions: () => LoadOptions = () => ({});

  constructor(
    readonly embedded: LibraryEntry,
    private readonly remote: LibraryRemote,
    private readonly storage: Storage | undefined = globalThis.localStorage,
    private readonly fetchImpl: typeof fetch = globalThis.fetch?.bind(globalThis),
  ) {
    this.state = new Observable(this.#read());
    this.state.subscribe((s) => this.#write(s));
  }

  get models(): LibraryEntry[] {
    return listModels(this.embedded, this.state.value);
  }

  get active(): LibraryEntry {
    return activeModel(this.embedded, this.state.value);
  }

  /** Looks at a typed address or a folder's files and offers the package (or says why not); never throws. */
  check(source: { url: string } | { files: LocalFile[] }): Promise<void> {
    return this.#report(async () => {
      this.pending.set(undefined);
      const candidate = 'url' in source ? await this.inspectUrl(source.url) : await this.inspectFolder(source.files);
      this.pending.set({ candidate, ...('files' in source ? { files: source.files } : {}) });
    });
  }

  /** Adds the offered package (a folder is stored first); never throws: a failure is `problem`. */
  addPending(): Promise<void> {
    return this.#report(async () => {
      const pending = this.pending.value;
      if (!pending) return;
      if (pending.candidate.origin === 'url') this.addUrl(pending.candidate);
      else await this.addFolder(pending.candidate, pending.files ?? []);
      this.pending.set(undefined);
    });
  }

  dismissPending(): void {
    this.pending.set(undefined);
  }

  /** switchTo / remove for the panel: a refusal or failure becomes `problem`. */
  use(session: EngineSession, id: string): Promise<void> {
    return this.#report(() => this.switchTo(session, id));
  }

  removeReporting(session: EngineSession, id: string): Promise<void> {
    return this.#report(() => this.remove(session, id));
  }

  async #report(work: () => Promise<void>): Promise<void> {
    this.problem.set(undefined);
    try {
      await work();
    } catch (error) {
      this.problem.set(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Fetches and checks the manifest at a typed address and plans it on this device; nothing is
   * added or downloaded. Throws LibraryError with a message for the user on bad input.
   */
  async inspectUrl(text: string): Promise<Candidate> {
    const folder = modelFolderUrl(text);
    this.activity.set({ kind: 'checking', where: folder });
    try {
      const plan = await this.#plan(await this.#fetchManifest(folder), `the manifest at ${folder}manifest.json`);
      return this.#candidate('url', folder, plan, plan.downloadBytes);
    } finally {
      this.activity.set({ kind: 'idle' });
    }
  }

  /** Adds a looked-at URL package to the library (its weights download when it is first used). */
  addUrl(candidate: Candidate): LibraryEntry {
    if (candidate.origin !== 'url') throw new LibraryError('Only a package looked at by its address can be added by address.');
    this.#refuseProblems(candidate);
    const entry: LibraryEntry = {
      id: candidate.plan.name, displayName: candidate.plan.displayName, origin: 'url', base: candidate.where,
      bytes: candidate.storeBytes, addedAt: Date.now(),
    };
    this.state.set(withAdded(this.embedded, this.state.value, entry));
    return entry;
  }

  /** Reads manifest.json from picked files and plans it on this device; nothing is stored. */
  async inspectFolder(files: readonly LocalFile[]): Promise<Candidate> {
    const folder = files[0]?.path.split('/')[0] ?? 'the folder';
    this.activity.set({ kind: 'checking', where: folder });
    try {
      // Where the worker's import will look for it (the same rule, src/store/package-files.ts).
      const manifestFile = files[packagePaths(files.map((f) => f.path)).indexOf('manifest.json')];
      if (!manifestFile) throw new LibraryError(`There is no manifest.json at the top of "${folder}". Pick the package folder itself (the one holding manifest.json).`);
      let json: unknown;
      try {
        json = JSON.parse(await manifestFile.file.text());
      } catch (e) {
        throw new LibraryError(`manifest.json in "${folder}" is not valid JSON (${(e as Error).message}). Pick a Vidlet model package folder.`);
      }
      const plan = await this.#plan(json, `manifest.json in "${folder}"`);
      return this.#candidate('local', folder, plan, plan.listedBytes);
    } finally {
      this.activity.set({ kind: 'idle' });
    }
  }

  /**
   * Stores a looked-at folder in the model cache (in the worker: every file present, the right
   * size and sha256, or nothing is kept) and adds it to the library.
   */
  async addFolder(candidate: Candidate, files: readonly LocalFile[]): Promise<LibraryEntry> {
    if (candidate.origin !== 'local') throw new LibraryError('Only a looked-at folder can be added from files.');
    this.#refuseProblems(candidate);
    // Refused before storing anything: a name already installed would share its cached files.
    withAdded(this.embedded, this.state.value, { ...this.embedded, id: candidate.plan.name, displayName: candidate.plan.displayName });
    this.activity.set({ kind: 'importing' });
    try {
      const imported = await this.remote.importLocalPackage([...files], (progress) => this.activity.set({ kind: 'importing', progress }));
      const entry: LibraryEntry = { id: imported.name, displayName: imported.displayName, origin: 'local', base: imported.base, bytes: imported.bytes, addedAt: Date.now() };
      this.state.set(withAdded(this.embedded, this.state.value, entry));
      return entry;
    } finally {
      this.activity.set({ kind: 'idle' });
    }
  }

  /**
   * Makes `id` the active model: the session unloads the current one and loads this one (resolving
   * once the load ended, either way). Refused while a generation runs.
   */
  async switchTo(session: EngineSession, id: string): Promise<void> {
    const next = withActive(this.embedded, this.state.value, id);
    if (isActive(session.run.value)) throw new LibraryError('A generation is running: let it finish or press Cancel, then switch models.');
    const entry = activeModel(this.embedded, next);
    await session.switchModel({ base: entry.base });
    this.state.set(next);
    // A load that fails is the session's model state 'error', which the model panel shows.
    await session.ensureModel().catch(() => {});
  }

  /**
   * Removes an added model: its cached files and its entry. The active one is switched away from
   * first (to the embedded model, which then loads on first use).
   */
  async remove(session: EngineSession, id: string): Promise<void> {
    const next = withRemoved(this.embedded, this.state.value, id);
    const wasActive = this.active.id === id;
    if (wasActive && isActive(session.run.value)) throw new LibraryError('A generation is running with this model: let it finish or press Cancel, then remove it.');
    this.activity.set({ kind: 'removing', id });
    try {
      if (wasActive) await session.switchModel({ base: this.embedded.base });
      await session.storage.deleteModel(id);
      this.state.set(next);
    } finally {
      this.activity.set({ kind: 'idle' });
    }
  }

  async #fetchManifest(folder: string): Promise<unknown> {
    const url = `${folder}manifest.json`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { cache: 'no-cache' });
    } catch (e) {
      throw new LibraryError(
        `Could not reach ${url} (${(e as Error).message}). Check the address and the connection; a server on another site must allow this one (CORS).`,
      );
    }
    if (!response.ok) {
      throw new LibraryError(
        `${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: there is no model package there. Give the address of the folder that holds manifest.json.`,
      );
    }
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new LibraryError(`${url} is not JSON (${(e as Error).message}), so it is not a Vidlet model manifest. Give the address of a converted model package's folder.`);
    }
  }

  async #plan(json: unknown, what: string): Promise<PackagePlan> {
    try {
      return await this.remote.planPackage(json, this.planOptions());
    } catch (e) {
      const error = e as Error;
      if (error.name === 'ManifestError') throw new LibraryError(`Vidlet cannot use ${what}: ${error.message}`);
      throw error;
    }
  }

  #candidate(origin: 'url' | 'local', where: string, plan: PackagePlan, storeBytes: number): Candidate {
    const problems = fitProblems({
      storeBytes, estimate: plan.estimate, backend: plan.backend, components: plan.components,
      attention: { sizes: plan.sizes, ...(plan.bufferLimits ? { limits: plan.bufferLimits } : {}) },
    });
    return { origin, where, plan, storeBytes, problems };
  }

  #refuseProblems(candidate: Candidate): void {
    if (candidate.problems.length > 0) {
      throw new LibraryError(`${candidate.plan.displayName} does not fit this device: ${candidate.problems.map((p) => p.message).join(' ')}`);
    }
  }

  #read(): LibraryState {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      return raw ? readLibrary(this.embedded, JSON.parse(raw)) : emptyLibrary(this.embedded);
    } catch {
      return emptyLibrary(this.embedded); // corrupt or blocked storage: only the embedded model
    }
  }

  #write(state: LibraryState): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch {
      // Storage blocked: the library works until reload; the models stay in the cache.
    }
  }
}
