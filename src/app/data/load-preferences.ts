/**
 * The user's load settings, kept in localStorage so they outlive the page: whether a text encoder
 * in parts stays loaded after its first use (LoadOptions.keepTextEncoder). Default off: its parts
 * run one at a time for each new prompt, so memory stays bounded by the largest part.
 */
import type { LoadOptions } from '../../engine/types';
import { Observable } from './observable';

const STORAGE_KEY = 'vidlet.load.v1';

export class LoadPreferences {
  readonly keepTextEncoder: Observable<boolean>;

  /** `storage` undefined: held in memory only (tests, a browser that blocks storage). */
  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    this.keepTextEncoder = new Observable(this.#read());
    this.keepTextEncoder.subscribe(() => this.#write());
  }

  /** The load options these preferences ask for (merged into EngineSession's). */
  loadOptions(): LoadOptions {
    return this.keepTextEncoder.value ? { keepTextEncoder: true } : {};
  }

  #read(): boolean {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      return raw ? (JSON.parse(raw) as { keepTextEncoder?: unknown }).keepTextEncoder === true : false;
    } catch {
      return false; // corrupt or blocked storage: the default
    }
  }

  #write(): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify({ keepTextEncoder: this.keepTextEncoder.value }));
    } catch {
      // Storage full or blocked: the setting holds for this visit only.
    }
  }
}
