/**
 * The form's settings as shared state: the prompt form edits them, history and dropped files
 * restore into them. The last used settings are kept in localStorage so a reload keeps the form.
 */
import { FALLBACK_SETTINGS, mergeRestoredSettings, withModelDefaults, type GenerationSettings } from './generation-settings';
import type { ModelInfo } from '../../engine/types';
import { randomSeed } from '../../package/request';
import { Observable } from './observable';

const STORAGE_KEY = 'vidlet.settings.v1';

export interface SettingsNotice {
  kind: 'info' | 'error';
  text: string;
}

export class SettingsStore {
  readonly settings: Observable<GenerationSettings>;
  /** A short message about the last restore ("Settings restored from clip.webm"). */
  readonly notice = new Observable<SettingsNotice | undefined>(undefined);
  #hadSaved: boolean;
  /** The fields the user has set in this visit (patch). */
  readonly #typed = new Set<keyof GenerationSettings>();
  /** The name of the last model that became ready (modelReady). */
  #lastModel?: string;

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    const saved = this.#read();
    this.#hadSaved = saved !== undefined;
    this.settings = new Observable(saved ?? { ...FALLBACK_SETTINGS, seed: randomSeed() });
    this.settings.subscribe((s) => this.#write(s));
  }

  patch(change: Partial<GenerationSettings>): void {
    // What the user typed wins over the model's defaults arriving later, field by field: a prompt
    // typed while the model downloads must not keep the fallback guidance in place of the model's.
    for (const key of Object.keys(change) as (keyof GenerationSettings)[]) this.#typed.add(key);
    this.settings.update((s) => ({ ...s, ...change }));
  }

  randomizeSeed(): void {
    this.patch({ seed: randomSeed() });
  }

  /** Restores settings from history or a file; unknown or invalid fields keep their values. */
  restore(restored: Partial<GenerationSettings>, from: string): void {
    this.#hadSaved = true;
    this.settings.update((s) => mergeRestoredSettings(s, restored));
    this.notice.set({ kind: 'info', text: `Settings restored from ${from}.` });
  }

  /**
   * Called whenever a model is ready. The first one: a first visit takes its defaults, a returning
   * user keeps their settings. Another model than the last one (a switch) gives its defaults
   * (steps, guidance, sampler); prompt and seed stay.
   */
  modelReady(model: ModelInfo): void {
    const switched = this.#lastModel !== undefined && this.#lastModel !== model.name;
    this.#lastModel = model.name;
    if (switched) {
      this.#hadSaved = true;
      this.settings.update((s) => withModelDefaults(s, model));
    } else this.applyModelDefaults(model);
  }

  /** A first visit takes the model's defaults, but not over what was typed; a returning user keeps their own settings. */
  applyModelDefaults(model: ModelInfo): void {
    if (this.#hadSaved) return;
    this.#hadSaved = true;
    this.settings.update((s) => {
      const typed = Object.fromEntries([...this.#typed].map((k) => [k, s[k]]));
      return { ...withModelDefaults(s, model), ...typed };
    });
  }

  #read(): GenerationSettings | undefined {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      return raw ? mergeRestoredSettings(FALLBACK_SETTINGS, JSON.parse(raw)) : undefined;
    } catch {
      return undefined; // corrupt or blocked storage: start from defaults
    }
  }

  #write(settings: GenerationSettings): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
    } catch {
      // Storage full or blocked: the form still works, it just will not survive a reload.
    }
  }
}
