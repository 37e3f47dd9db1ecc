/**
 * Past generations as a gallery (kept in IndexedDB, newest first, or best first by a reward score):
 * play one, put its settings back into the form, compare two side by side, score it with the
 * model's reward model, delete.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { describeAdapters } from '../data/adapter-settings';
import { scoresLine } from '../data/clip-scores';
import type { EngineSession } from '../data/engine-session';
import { formatDate } from '../data/format-units';
import type { HistorySummary, HistoryStore } from '../data/history-store';
import { HISTORY_SORTS, isHistorySort, sortHistory, type HistorySort } from '../data/history-sort';
import { engineContext, historyContext, libraryContext } from '../contexts';
import type { ModelLibrary } from '../data/model-library';
import { madeWithNote } from '../data/model-library-state';
import { vidletEvent } from '../events';
import { controls, tokens } from './theme';
import { Watch } from './watch';

@customElement('vidlet-history-list')
export class HistoryList extends LitElement {
  @consume({ context: historyContext }) history!: HistoryStore;
  /** Absent outside the app (a component on its own): then no entry says which model made it. */
  @consume({ context: libraryContext }) library?: ModelLibrary;
  /** Absent outside the app: then clips cannot be scored from here. */
  @consume({ context: engineContext }) session?: EngineSession;
  @state() private sortBy: HistorySort = 'newest';
  /** Clips being scored, and why the last one that failed could not be. */
  @state() private scoring: ReadonlySet<string> = new Set();
  @state() private scoreProblem?: { id: string; message: string };
  #watch = new Watch(this);
  /** One object URL per thumbnail Blob, revoked when the entry goes away. */
  #thumbs = new Map<string, string>();

  override render() {
    const stored = this.#watch.get(this.history.entries);
    const entries = sortHistory(stored, this.sortBy);
    const model = this.session ? this.#watch.get(this.session.model) : undefined;
    // A loaded model without a reward model cannot score; an unloaded one is loaded by Score and says so then.
    const canScore = model !== undefined && !(model.kind === 'ready' && !model.info.reward);
    const selected = this.#watch.get(this.history.selected)?.id;
    const compare = this.#watch.get(this.history.compare)?.map((e) => e.id);
    this.#pruneThumbs(entries);
    if (this.library) this.#watch.get(this.library.state);
    const madeWith = (model: string) => (this.library ? madeWithNote(model, this.library.active, this.library.models) : undefined);
    return html`
      <header>
        <h2>History</h2>
        <span class="muted">${entries.length === 0 ? 'Your clips will appear here' : `${entries.length} clip${entries.length === 1 ? '' : 's'} · kept on this device`}</span>
        <label class="muted sort">Sort
          <select aria-label="Sort history" @change=${(e: Event) => this.#sort((e.target as HTMLSelectElement).value)}>
            ${HISTORY_SORTS.map((s) => html`<option value=${s.value} ?selected=${this.sortBy === s.value}>${s.label}</option>`)}
          </select></label>
      </header>
      <ul>
        ${entries.map(
          (e) => html`<li class="entry ${e.id === selected ? 'selected' : ''} ${compare?.includes(e.id) ? 'comparing' : ''}" data-id=${e.id}>
            <button class="thumb" @click=${() => this.#send('vidlet-show-entry', e.id)} aria-label="Play: ${e.settings.prompt}">
              <img src=${this.#thumb(e)} alt="" width="96" height="96" />
            </button>
            <div class="body">
              <p class="prompt" title=${e.settings.prompt}>${e.settings.prompt}</p>
              <p class="muted">seed ${e.settings.seed} · ${e.settings.steps} steps${e.settings.preset ? html` · <span class="preset">size ${e.settings.preset}</span>` : nothing} · ${formatDate(e.createdAt)}</p>
              ${madeWith(e.model) ? html`<p class="muted made-with">${madeWith(e.model)}</p>` : nothing}
              ${e.settings.adapters?.length ? html`<p class="muted adapters">Adapters: ${describeAdapters(e.settings)}</p>` : nothing}
              ${e.scores ? html`<p class="muted scores" title="Reward model of ${e.scores.rewardModel.name}">${scoresLine(e.scores)}</p>` : nothing}
              ${this.scoreProblem?.id === e.id ? html`<p class="problem" role="alert">Not scored: ${this.scoreProblem.message}</p>` : nothing}
              <div class="actions">
                <button class="ghost" @click=${() => this.#send('vidlet-restore-entry', e.id)}>Use settings</button>
                <button class="ghost" @click=${() => this.#send('vidlet-compare-entry', e.id)}>Compare</button>
                ${!e.scores && canScore
                  ? html`<button class="ghost" ?disabled=${this.scoring.has(e.id)} @click=${() => void this.#score(e.id)} aria-label="Score: ${e.settings.prompt}">${this.scoring.has(e.id) ? 'Scoring…' : 'Score'}</button>`
                  : nothing}
                <button class="ghost danger" @click=${() => this.#send('vidlet-delete-entry', e.id)} aria-label="Delete: ${e.settings.prompt}">Delete</button>
              </div>
            </div>
          </li>`,
        )}
      </ul>
      ${entries.length === 0 ? html`<p class="empty muted">Nothing yet. Write a prompt and press Generate.</p>` : nothing}
    `;
  }

  #sort(value: string) {
    if (isHistorySort(value)) this.sortBy = value;
  }

  async #score(id: string) {
    if (!this.session) return;
    this.scoreProblem = undefined;
    this.scoring = new Set([...this.scoring, id]);
    try {
      await this.session.scoreEntry(id);
    } catch (error) {
      this.scoreProblem = { id, message: error instanceof Error ? error.message : String(error) };
    } finally {
      this.scoring = new Set([...this.scoring].filter((s) => s !== id));
    }
  }

  #send(name: 'vidlet-show-entry' | 'vidlet-restore-entry' | 'vidlet-compare-entry' | 'vidlet-delete-entry', id: string) {
    this.dispatchEvent(vidletEvent(name, { id }));
  }

  #thumb(entry: HistorySummary): string {
    let url = this.#thumbs.get(entry.id);
    if (!url) {
      url = URL.createObjectURL(entry.thumbnail);
      this.#thumbs.set(entry.id, url);
    }
    return url;
  }

  #pruneThumbs(entries: HistorySummary[]) {
    const ids = new Set(entries.map((e) => e.id));
    for (const [id, url] of this.#thumbs) {
      if (!ids.has(id)) {
        URL.revokeObjectURL(url);
        this.#thumbs.delete(id);
      }
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.#thumbs.values()) URL.revokeObjectURL(url);
    this.#thumbs.clear();
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 12px;
      }
      header {
        display: flex;
        align-items: baseline;
        justify-content: space-between;
        gap: 12px;
      }
      h2 {
        margin: 0;
        font-size: 15px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
        gap: 10px;
      }
      .entry {
        display: flex;
        gap: 12px;
        padding: 8px;
        border: 1px solid var(--line);
        border-radius: 12px;
        background: var(--surface);
      }
      .entry.selected {
        border-color: var(--accent);
        box-shadow: 0 0 0 2px var(--accent-soft);
      }
      .entry.comparing {
        border-style: dashed;
        border-color: var(--accent);
      }
      .thumb {
        padding: 0;
        border: none;
        border-radius: 8px;
        overflow: hidden;
        flex: none;
        width: 80px;
        height: 80px;
        background: #111024;
      }
      .thumb img {
        width: 100%;
        height: 100%;
        object-fit: cover;
        image-rendering: pixelated;
      }
      .body {
        min-width: 0;
        display: grid;
        gap: 2px;
        align-content: start;
      }
      p {
        margin: 0;
      }
      .prompt {
        font-size: 14px;
        font-weight: 600;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .muted {
        font-size: 12px;
      }
      .actions {
        display: flex;
        gap: 2px;
        margin-left: -8px;
      }
      .actions button {
        font-size: 12px;
        padding: 4px 8px;
        color: var(--ink-2);
      }
      .actions button.danger {
        color: var(--danger);
      }
      .problem {
        font-size: 12px;
        color: var(--danger);
      }
      .sort {
        margin-left: auto;
      }
      .empty {
        margin: 0;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-history-list': HistoryList;
  }
}
