/**
 * Entry point: builds the data layer (engine worker proxy, history, settings, model storage)
 * and hands it to the <vidlet-app> element, which provides it to the components as contexts.
 */
import './app/components/vidlet-app';
import { AdapterLibrary } from './app/data/adapter-library';
import { AdapterStore } from './app/data/adapter-store';
import { AppShell } from './app/data/app-shell';
import { EngineSession, isActive } from './app/data/engine-session';
import { HistoryStore } from './app/data/history-store';
import { LoadPreferences } from './app/data/load-preferences';
import { ModelLibrary } from './app/data/model-library';
import type { LibraryEntry } from './app/data/model-library-state';
import { ModelStorage } from './app/data/model-storage';
import { SettingsStore } from './app/data/settings-store';
import { TasteStore } from './app/data/taste-store';
import { VoteStore } from './app/data/vote-store';
import { BUILD_VERSION, HAS_SERVICE_WORKER } from './build-info';
import { EngineClient } from './worker/engine-client';

/** The embedded model, served next to the page (public/models/); its id is its manifest's name. */
const EMBEDDED: LibraryEntry = {
  id: 'vidlet-tiny', displayName: 'Vidlet tiny (embedded)', origin: 'embedded',
  base: new URL('models/vidlet-tiny/', document.baseURI).href, bytes: 0, addedAt: 0,
};

const engine = new EngineClient();
const history = new HistoryStore();
const settings = new SettingsStore();
const storage = new ModelStorage(engine); // the worker owns the model cache; the page asks it
const votes = new VoteStore();
const taste = new TasteStore();
const adapters = new AdapterLibrary(engine, new AdapterStore());
const library = new ModelLibrary(EMBEDDED, engine); // the active choice, read before the session is made
const preferences = new LoadPreferences();
library.planOptions = () => preferences.loadOptions();
// Every model load (first use, after deleting the cached model) adds the user's adapters again.
const session = new EngineSession(engine, history, storage, {
  source: { base: library.active.base },
  preferences,
  onModelLoaded: (info) => adapters.attach(info),
});

session.model.subscribe((state) => {
  if (state.kind === 'ready') settings.modelReady(state.info);
});

// The service worker (built by vite-plugin-pwa into sw.js) exists only in a build, not on the dev server.
const shell = new AppShell({
  scriptUrl: new URL('sw.js', document.baseURI).href,
  busy: () => isActive(session.run.value) || session.model.value.kind === 'loading',
});
shell.start(HAS_SERVICE_WORKER);

const app = document.createElement('vidlet-app');
app.shell = shell;
app.session = session;
app.settingsStore = settings;
app.history = history;
app.adapters = adapters;
app.library = library;
app.votes = votes;
app.taste = taste;
document.body.append(app);

void history.load().catch((error) => console.error('History could not be read:', error));
void adapters.loadStored().catch((error) => console.error('Stored adapters could not be read:', error));

// A model already on this device loads at once (no network); otherwise it downloads on first Generate.
void storage
  .refresh()
  .then(() => {
    if (storage.state.value?.models.some((m) => m.name === library.active.id && m.completeFiles > 0)) return session.ensureModel();
  })
  .catch(() => {}); // shown in the model panel

// Tests and the console reach the live objects here; nothing in the app reads it.
Object.assign(window, { vidlet: { engine, session, history, settings, storage, adapters, library, votes, shell, version: BUILD_VERSION } });
