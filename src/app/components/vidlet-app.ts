/**
 * The page: provides the three contexts (engine session, settings, history), lays out the
 * form, the stage (live preview / player / compare) and the history, and turns the components'
 * events into calls on the data layer. Dropping an exported file anywhere restores its settings;
 * dropping an adapter's .safetensors (+ its .json, if any) adds it (the adapters panel lists it).
 */
import { provide } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isAdapterFileName, type AdapterLibrary } from '../data/adapter-library';
import { withoutAdapter } from '../data/adapter-settings';
import { settingsFromFile } from '../data/clip-encoder';
import { restoreRefusal } from '../data/restore-refusal';
import { plannedCutFractions } from '../data/scene-list-state';
import { isActive, type EngineSession } from '../data/engine-session';
import type { HistoryEntry, HistoryStore } from '../data/history-store';
import type { SettingsStore } from '../data/settings-store';
import { TasteStore } from '../data/taste-store';
import { VoteStore } from '../data/vote-store';
import { toUserError, type UserError } from '../data/user-error';
import { adapterContext, engineContext, historyContext, libraryContext, settingsContext } from '../contexts';
import type { ModelLibrary } from '../data/model-library';
import { droppedFolderFiles } from '../data/dropped-folder';
import type { AppShell } from '../data/app-shell';
import './adapter-panel';
import './app-shell-bar';
import './compare-takes';
import './compare-view';
import './error-banner';
import './export-bar';
import './history-list';
import './live-preview';
import './model-panel';
import './prompt-form';
import './result-player';
import './votes-panel';
import type { VotesPanel } from './votes-panel';
import { controls, tokens } from './theme';
import { Watch } from './watch';

const EXAMPLES = [
  'a red ball bouncing on a blue background',
  'a yellow star spinning, camera zooms in',
  'a green square sliding left over a sunset',
];

@customElement('vidlet-app')
export class VidletApp extends LitElement {
  @provide({ context: engineContext }) @property({ attribute: false }) session!: EngineSession;
  @provide({ context: settingsContext }) @property({ attribute: false }) settingsStore!: SettingsStore;
  @provide({ context: historyContext }) @property({ attribute: false }) history!: HistoryStore;
  @provide({ context: adapterContext }) @property({ attribute: false }) adapters!: AdapterLibrary;
  @provide({ context: libraryContext }) @property({ attribute: false }) library!: ModelLibrary;
  /** Service worker updates and the install prompt; absent where the page has none (tests of components). */
  @property({ attribute: false }) shell?: AppShell;
  /** Votes between takes (Compare takes); main.ts passes the page's, a component test gets its own. */
  @property({ attribute: false }) votes: VoteStore = new VoteStore();
  /** The taste head fitted on the votes, shared by the votes panel (which fits it) and Compare takes (which ranks by it). */
  @property({ attribute: false }) taste: TasteStore = new TasteStore();

  @state() private dragging = false;
  @state() private appError?: UserError;
  /** One banner per dropped adapter file that could not be used or kept. */
  @state() private adapterErrors: UserError[] = [];
  #watch = new Watch(this);
  #dragDepth = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('vidlet-generate', () => void this.#generate());
    this.addEventListener('vidlet-cancel', () => void this.session.cancel());
    this.addEventListener('vidlet-show-entry', (e) => void this.#show(e.detail.id));
    this.addEventListener('vidlet-restore-entry', (e) => this.#restore(e.detail.id));
    this.addEventListener('vidlet-delete-entry', (e) => void this.#delete(e.detail.id));
    this.addEventListener('vidlet-compare-entry', (e) => void this.#compare(e.detail.id));
    this.addEventListener('vidlet-add-adapters', (e) => void this.#addAdapters(e.detail.files));
    this.addEventListener('vidlet-delete-adapter', (e) => void this.#deleteAdapter(e.detail.name));
    this.addEventListener('vidlet-vote-saved', () => void this.renderRoot.querySelector<VotesPanel>('vidlet-votes-panel')?.refresh());
    window.addEventListener('dragenter', this.#dragEnter);
    window.addEventListener('dragover', this.#dragOver);
    window.addEventListener('dragleave', this.#dragLeave);
    window.addEventListener('drop', this.#drop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('dragenter', this.#dragEnter);
    window.removeEventListener('dragover', this.#dragOver);
    window.removeEventListener('dragleave', this.#dragLeave);
    window.removeEventListener('drop', this.#drop);
  }

  override render() {
    const run = this.#watch.get(this.session.run);
    const model = this.#watch.get(this.session.model);
    const selected = this.#watch.get(this.history.selected);
    const compare = this.#watch.get(this.history.compare);
    const modelName = model.kind === 'ready' ? model.info.displayName : (this.library?.active.displayName ?? 'Vidlet tiny');
    return html`
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">▶</span>
          <div>
            <h1>Vidlet</h1>
            <p>Text to video, generated privately in your browser</p>
          </div>
        </div>
        <vidlet-app-shell-bar .shell=${this.shell}></vidlet-app-shell-bar>
        <span class="status ${model.kind}">${this.#statusText(model.kind, modelName)}</span>
      </header>

      <main>
        <aside>
          <section class="card pad"><vidlet-prompt-form></vidlet-prompt-form></section>
          <section class="card pad" aria-label="Compare takes">
            <vidlet-compare-takes .session=${this.session} .votes=${this.votes} .taste=${this.taste} .settings=${() => this.settingsStore.settings.value}></vidlet-compare-takes>
          </section>
          <section class="card pad" aria-label="Votes"><vidlet-votes-panel .session=${this.session} .votes=${this.votes} .taste=${this.taste}></vidlet-votes-panel></section>
          <section class="card pad" aria-label="Adapters"><vidlet-adapter-panel></vidlet-adapter-panel></section>
          <section class="card pad"><vidlet-model-panel></vidlet-model-panel></section>
        </aside>

        <div class="main-col">
          ${this.appError ? html`<vidlet-error-banner .error=${this.appError} @dismiss=${() => (this.appError = undefined)}></vidlet-error-banner>` : nothing}
          ${this.adapterErrors.map(
            (error) =>
              html`<vidlet-error-banner class="adapter-error" .error=${error} @dismiss=${() => (this.adapterErrors = this.adapterErrors.filter((e) => e !== error))}></vidlet-error-banner>`,
          )}
          ${run.kind === 'error'
            ? html`<vidlet-error-banner .error=${run.error} @dismiss=${() => this.session.run.set({ kind: 'idle' })}></vidlet-error-banner>`
            : nothing}
          ${run.kind === 'cancelled'
            ? html`<p class="notice" role="status">
                ${run.note ?? html`Cancelled${run.afterSteps ? ` after ${run.afterSteps} step${run.afterSteps === 1 ? '' : 's'}` : ''}.`} Ready for the next one.
              </p>`
            : nothing}
          <section class="card pad stage" aria-label="Clip">${this.#stage(run, selected, compare)}</section>
          <section class="card pad"><vidlet-history-list></vidlet-history-list></section>
        </div>
      </main>

      ${this.dragging
        ? html`<div class="drop" aria-hidden="true"><div>Drop a Vidlet MP4, WebM, GIF or zip to restore its settings,<br />an adapter's .safetensors (and .json) to add it,<br />or a model package folder to add the model</div></div>`
        : nothing}
    `;
  }

  #stage(run: EngineSession['run']['value'], selected: HistoryEntry | undefined, compare: [HistoryEntry, HistoryEntry] | undefined) {
    if (isActive(run)) {
      const model = this.session.model.value;
      return html`<vidlet-live-preview
        .step=${'step' in run ? run.step : undefined}
        .decoded=${'decoded' in run ? run.decoded : undefined}
        .loading=${model.kind === 'loading' ? model.progress : undefined}
        .startedAt=${run.startedAt}
        .fps=${model.kind === 'ready' ? model.info.video.fps : 8}
        .cuts=${plannedCutFractions(run.settings, model.kind === 'ready' ? model.info : undefined)}
        ?cancelling=${run.kind === 'cancelling'}
        ?finishing=${run.kind === 'finishing'}
      ></vidlet-live-preview>`;
    }
    if (compare) {
      const [a, b] = compare;
      return html`<div class="stage-head"><h2>Compare</h2><button class="ghost" @click=${() => this.history.compare.set(undefined)}>Close</button></div>
          <vidlet-compare-view .a=${a} .b=${b}></vidlet-compare-view>`;
    }
    if (selected) {
      return html`<div class="stage-head"><h2 class="prompt">${selected.settings.prompt}</h2></div>
        <vidlet-result-player .entry=${selected}></vidlet-result-player>
        <vidlet-export-bar .entry=${selected}></vidlet-export-bar>`;
    }
    return html`<div class="empty">
      <div class="empty-art" aria-hidden="true">▶</div>
      <h2>Describe a short clip and press Generate</h2>
      <p class="muted">Everything runs on this device: your prompts and clips never leave the browser.</p>
      <div class="examples">
        ${EXAMPLES.map((p) => html`<button class="ghost example" @click=${() => this.settingsStore.patch({ prompt: p })}>${p}</button>`)}
      </div>
    </div>`;
  }

  #statusText(kind: string, name: string): string {
    switch (kind) {
      case 'ready':
        return `${name} · ready`;
      case 'loading':
        return 'Loading model…';
      case 'error':
        return 'Model not loaded';
      default:
        return `${name} · loads on first use`;
    }
  }

  async #generate() {
    this.history.compare.set(undefined);
    const entry = await this.session.generate(this.settingsStore.settings.value);
    if (entry) this.history.selected.set(entry);
  }

  async #show(id: string) {
    try {
      await this.history.select(id);
    } catch (error) {
      this.appError = toUserError(error);
    }
  }

  #restore(id: string) {
    const entry = this.history.summary(id);
    if (entry) this.settingsStore.restore(entry.settings, 'history');
  }

  async #delete(id: string) {
    try {
      await this.history.remove(id);
    } catch (error) {
      this.appError = toUserError(error);
    }
  }

  async #compare(id: string) {
    try {
      await this.history.compareWith(id);
    } catch (error) {
      this.appError = toUserError(error);
    }
  }

  /** Dropped or picked adapter files: each one that cannot be used gets its own banner; the rest are added. */
  async #addAdapters(files: File[]) {
    this.adapterErrors = [];
    try {
      const dropped = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const report = await this.adapters.addFiles(dropped, () => this.session.ensureModel());
      this.adapterErrors = report.errors.map(toUserError);
      if (report.added.length) {
        const names = report.added.map((n) => `"${n}"`).join(', ');
        this.settingsStore.notice.set({ kind: 'info', text: `Adapter${report.added.length === 1 ? '' : 's'} ${names} added: enable ${report.added.length === 1 ? 'it' : 'them'} under Adapters.` });
      }
    } catch (error) {
      this.adapterErrors = [toUserError(error)]; // e.g. the model could not load to check them
    }
  }

  async #deleteAdapter(name: string) {
    try {
      await this.adapters.remove(name);
      this.settingsStore.patch(withoutAdapter(this.settingsStore.settings.value, name));
    } catch (error) {
      this.adapterErrors = [toUserError(error)];
    }
  }

  #hasFiles(e: DragEvent): boolean {
    return e.dataTransfer?.types.includes('Files') ?? false;
  }

  #dragEnter = (e: DragEvent) => {
    if (!this.#hasFiles(e)) return;
    this.#dragDepth++;
    this.dragging = true;
  };

  #dragOver = (e: DragEvent) => {
    if (!this.#hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  };

  #dragLeave = () => {
    this.#dragDepth = Math.max(0, this.#dragDepth - 1);
    if (this.#dragDepth === 0) this.dragging = false;
  };

  #drop = async (e: DragEvent) => {
    e.preventDefault();
    this.#dragDepth = 0;
    this.dragging = false;
    // Both read before any await: the drop's DataTransfer is emptied once this handler returns.
    const files = [...(e.dataTransfer?.files ?? [])];
    const folder = e.dataTransfer ? droppedFolderFiles(e.dataTransfer) : undefined;
    // A folder is a model package: the model library checks it and offers it in the model panel.
    const folderFiles = await folder;
    if (folderFiles) {
      this.renderRoot.querySelector('vidlet-model-panel')?.scrollIntoView({ block: 'nearest' });
      return this.library.check({ files: folderFiles });
    }
    if (files.some((f) => isAdapterFileName(f.name))) return this.#addAdapters(files);
    const file = files[0];
    if (!file) return;
    try {
      const settings = await settingsFromFile(file);
      this.settingsStore.restore(settings, `"${file.name}"`);
    } catch (error) {
      this.settingsStore.notice.set({ kind: 'error', text: restoreRefusal(file.name, error) });
    }
  };

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: radial-gradient(1200px 400px at 10% -10%, #ece7ff 0%, transparent 60%), var(--surface-2);
      }
      .top {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 12px;
        padding: 18px 28px;
        max-width: 1320px;
        margin: 0 auto;
      }
      vidlet-app-shell-bar {
        margin-left: auto;
      }
      .brand {
        display: flex;
        gap: 12px;
        align-items: center;
      }
      .logo {
        display: grid;
        place-items: center;
        width: 38px;
        height: 38px;
        border-radius: 11px;
        background: linear-gradient(135deg, #7b5cff, #4527e0);
        color: white;
        font-size: 16px;
      }
      h1 {
        margin: 0;
        font-size: 20px;
        letter-spacing: -0.01em;
      }
      .brand p {
        margin: 0;
        color: var(--ink-3);
        font-size: 13px;
      }
      .status {
        font-size: 13px;
        font-weight: 600;
        padding: 6px 12px;
        border-radius: 99px;
        background: var(--surface);
        border: 1px solid var(--line);
        color: var(--ink-2);
      }
      .status.ready {
        color: var(--ok);
        border-color: #bfe3cf;
        background: #f0faf4;
      }
      .status.error {
        color: var(--danger);
      }
      main {
        display: grid;
        grid-template-columns: minmax(320px, 400px) 1fr;
        gap: 20px;
        padding: 0 28px 40px;
        max-width: 1320px;
        margin: 0 auto;
        align-items: start;
      }
      @media (max-width: 860px) {
        main {
          grid-template-columns: 1fr;
          padding: 0 14px 28px;
        }
      }
      aside,
      .main-col {
        display: grid;
        gap: 20px;
        min-width: 0;
      }
      .pad {
        padding: 20px;
      }
      .stage {
        display: grid;
        gap: 14px;
        min-height: 360px;
      }
      .stage-head {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 12px;
      }
      .stage-head h2 {
        margin: 0;
        font-size: 16px;
      }
      .prompt {
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .empty {
        display: grid;
        justify-items: center;
        align-content: center;
        text-align: center;
        gap: 8px;
        padding: 40px 12px;
      }
      .empty h2 {
        margin: 8px 0 0;
        font-size: 18px;
      }
      .empty p {
        margin: 0;
      }
      .empty-art {
        width: 64px;
        height: 64px;
        border-radius: 18px;
        display: grid;
        place-items: center;
        background: var(--accent-soft);
        color: var(--accent);
        font-size: 24px;
      }
      .examples {
        display: flex;
        flex-wrap: wrap;
        justify-content: center;
        gap: 8px;
        margin-top: 14px;
      }
      button.example {
        border: 1px solid var(--line);
        font-weight: 500;
        font-size: 13px;
        border-radius: 99px;
        background: var(--surface);
      }
      .notice {
        margin: 0;
        padding: 10px 14px;
        border-radius: 12px;
        background: var(--surface);
        border: 1px solid var(--line);
        font-size: 14px;
      }
      .drop {
        position: fixed;
        inset: 0;
        background: rgb(69 39 224 / 14%);
        backdrop-filter: blur(2px);
        display: grid;
        place-items: center;
        z-index: 10;
      }
      .drop div {
        background: var(--surface);
        border: 2px dashed var(--accent);
        border-radius: 18px;
        padding: 36px 48px;
        font-weight: 600;
        color: var(--accent-strong);
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-app': VidletApp;
  }
}
