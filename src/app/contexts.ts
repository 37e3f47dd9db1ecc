/** One @lit/context per concern: the engine session, the form settings, the history, the adapters, the installed models. */
import { createContext } from '@lit/context';
import type { AdapterLibrary } from './data/adapter-library';
import type { EngineSession } from './data/engine-session';
import type { HistoryStore } from './data/history-store';
import type { ModelLibrary } from './data/model-library';
import type { SettingsStore } from './data/settings-store';

export const engineContext = createContext<EngineSession>(Symbol('vidlet-engine'));
export const settingsContext = createContext<SettingsStore>(Symbol('vidlet-settings'));
export const historyContext = createContext<HistoryStore>(Symbol('vidlet-history'));
export const adapterContext = createContext<AdapterLibrary>(Symbol('vidlet-adapters'));
export const libraryContext = createContext<ModelLibrary>(Symbol('vidlet-models'));
