/**
 * The installed-app side of the page: the service worker that keeps the app shell for offline use
 * (vite.config.ts: Workbox precache of the page, its script, the engine worker and onnxruntime's
 * .wasm), the update offer, and Chrome's install prompt.
 *
 * Updates never mix two builds. A new service worker waits (registerType 'prompt') while this
 * page runs, so everything the page fetches later — the engine worker's script, the .wasm at the
 * first model load — still comes from the precache of the build the page came from. Only when the
 * user presses Reload does the new one take over, and the page reloads at once. If another tab
 * applied the update, this page reloads too when it is idle, or says so when a generation or a
 * model load is under way (`afterControllerChange`).
 */
import { Workbox } from 'workbox-window';
import { formatBytes } from './format-units';
import { Observable } from './observable';

export type UpdateState =
  /** Nothing newer known. */
  | { kind: 'current' }
  /** A newer build is installed and waits for the user's Reload. */
  | { kind: 'ready' }
  /** Reload pressed: the new service worker is taking over, the page reloads next. */
  | { kind: 'applying' }
  /** Another tab applied a newer build while this page was busy: Reload to use it. */
  | { kind: 'replaced' };

export interface AppShellState {
  update: UpdateState;
  /** Chrome offered to install the app (beforeinstallprompt) and it is not installed yet. */
  installable: boolean;
  /** The app shell is in the service worker's cache: a reload with no network works. */
  offlineReady: boolean;
  /** Why the app could not be saved for offline use (its service worker failed to install), if it could not. */
  offlineProblem?: string;
}

/**
 * What to tell the user when the first service worker failed to install, so nothing is saved for
 * offline use: the precache's fetches or its cache writes failed. A full disk is the usual cause
 * (Chromium then refuses the Cache Storage writes), so the free space the browser grants is given.
 */
export function offlineProblemMessage(estimate?: { usage?: number; quota?: number }): string {
  const online = 'It works while online; reload to try saving it again.';
  if (estimate?.usage === undefined || estimate.quota === undefined) return `Not saved for offline use: the browser did not store the app. ${online}`;
  const free = Math.max(0, estimate.quota - estimate.usage);
  return (
    `Not saved for offline use: the browser did not store the app (${formatBytes(free)} of storage left for this site, ` +
    `${formatBytes(estimate.usage)} used). If the disk is nearly full, free space first. ${online}`
  );
}

/** What the page does when a different service worker starts controlling it. */
export type ControllerChangeAction = 'reload' | 'offer-reload' | 'nothing';

/**
 * `hadController`: the page was already controlled (false on the very first visit, when the first
 * service worker claims nothing and this event means no change of build). `appliedHere`: this
 * page's Reload button asked for it. `busy`: a generation or a model load is under way, which a
 * reload would throw away.
 */
export function afterControllerChange(s: { hadController: boolean; appliedHere: boolean; busy: boolean }): ControllerChangeAction {
  if (s.appliedHere) return 'reload';
  if (!s.hadController) return 'nothing';
  return s.busy ? 'offer-reload' : 'reload';
}

/** Chrome's BeforeInstallPromptEvent (not in TypeScript's DOM library). */
export interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export interface AppShellOptions {
  /** URL of the service worker script (Workbox's generateSW writes sw.js next to index.html). */
  scriptUrl: string;
  /** True while a reload would lose work (generation, model load). */
  busy: () => boolean;
  reload?: () => void;
}

export class AppShell {
  readonly state = new Observable<AppShellState>({ update: { kind: 'current' }, installable: false, offlineReady: false });
  readonly #options: AppShellOptions;
  #workbox?: Workbox;
  #installPrompt?: InstallPromptEvent;
  #appliedHere = false;

  constructor(options: AppShellOptions) {
    this.#options = options;
  }

  /** Listens for the install prompt and registers the service worker (skipped where there is none, e.g. the dev server). */
  start(register: boolean): void {
    window.addEventListener('beforeinstallprompt', (event) => {
      event.preventDefault(); // shown as our own Install button instead of the browser's mini-infobar
      this.#installPrompt = event as InstallPromptEvent;
      this.#patch({ installable: true });
    });
    window.addEventListener('appinstalled', () => {
      this.#installPrompt = undefined;
      this.#patch({ installable: false });
    });
    if (!register || !('serviceWorker' in navigator)) return;

    const hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      const action = afterControllerChange({ hadController, appliedHere: this.#appliedHere, busy: this.#options.busy() });
      if (action === 'reload') (this.#options.reload ?? (() => location.reload()))();
      else if (action === 'offer-reload') this.#patch({ update: { kind: 'replaced' } });
    });

    const wb = new Workbox(this.#options.scriptUrl);
    this.#workbox = wb;
    wb.addEventListener('waiting', () => this.#patch({ update: { kind: 'ready' } }));
    wb.addEventListener('activated', () => this.#patch({ offlineReady: true, offlineProblem: undefined }));
    // The worker this page registered went redundant without ever activating: its install (the
    // precache) failed. Only worth saying when no earlier worker keeps the app offline already.
    wb.addEventListener('redundant', () => {
      if (this.state.value.offlineReady || navigator.serviceWorker.controller) return;
      // Without the Storage API the message is still given, only without the figures.
      void Promise.resolve(navigator.storage?.estimate())
        .catch(() => undefined)
        .then((estimate) => this.#patch({ offlineProblem: offlineProblemMessage(estimate) }));
    });
    void wb
      .register()
      .then((registration) => {
        if (registration?.active && navigator.serviceWorker.controller) this.#patch({ offlineReady: true });
      })
      .catch((error) => console.error('The service worker could not be registered; the app will not work offline:', error));
    // A tab left open for days still hears of new deployments (browsers check only on navigation).
    setInterval(() => void this.checkForUpdate(), 60 * 60_000);
  }

  /** Asks the server for a newer service worker now; a newer build then shows as update 'ready'. */
  async checkForUpdate(): Promise<void> {
    await this.#workbox?.update();
  }

  /** The user's Reload: the waiting build takes over and the page reloads on it. */
  applyUpdate(): void {
    const update = this.state.value.update;
    if (update.kind === 'replaced') {
      (this.#options.reload ?? (() => location.reload()))();
      return;
    }
    if (update.kind !== 'ready' || !this.#workbox) return;
    this.#appliedHere = true;
    this.#patch({ update: { kind: 'applying' } });
    this.#workbox.messageSkipWaiting();
  }

  /** Shows Chrome's install dialog (only after beforeinstallprompt; Chrome allows one prompt per event). */
  async install(): Promise<void> {
    const prompt = this.#installPrompt;
    if (!prompt) return;
    this.#installPrompt = undefined;
    this.#patch({ installable: false });
    await prompt.prompt();
    const choice = await prompt.userChoice;
    if (choice.outcome === 'dismissed') console.info('Install dismissed; Chrome offers it again later.');
  }

  #patch(change: Partial<AppShellState>): void {
    this.state.set({ ...this.state.value, ...change });
  }
}
