/**
 * The stored votes: how many, export as JSONL (a download), import JSONL (file input; the counts,
 * duplicates skipped and every bad line are shown), and which votes the installed model cannot
 * make again, judged again whenever the session's model changes (after a reload the page shows
 * the votes before the model has loaded). Under them, the taste panel fits the person's taste head
 * on these votes.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { VoteRecord } from '../../votes/vote-record';
import type { EngineSession } from '../data/engine-session';
import { manifestHash } from '../data/take-vote';
import type { TasteStore } from '../data/taste-store';
import type { VoteStore } from '../data/vote-store';
import { importSummary, mismatchNotes } from '../data/vote-summary';
import './taste-panel';
import { controls, tokens } from './theme';

@customElement('vidlet-votes-panel')
export class VotesPanel extends LitElement {
  @property({ attribute: false }) session!: EngineSession;
  @property({ attribute: false }) votes!: VoteStore;
  @property({ attribute: false }) taste!: TasteStore;

  @state() private list: VoteRecord[] = [];
  @state() private notes: string[] = [];
  @state() private report?: { text: string; lines: string[] };
  @state() private problem?: string;
  #unsubscribe?: () => void;
  /** Counts note computations, so a slow one (a manifest fetch) never overwrites a newer one. */
  #notesRun = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    let kind = this.session.model.value.kind;
    // Loading progress changes the state many times; only a new kind (loaded, unloaded for a switch, failed) changes the notes.
    this.#unsubscribe = this.session.model.subscribe((model) => {
      if (model.kind === kind) return;
      kind = model.kind;
      void this.#updateNotes();
    });
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
  }

  /** Re-reads the store (after a vote is saved elsewhere on the page). */
  async refresh(): Promise<void> {
    try {
      this.list = await this.votes.list();
    } catch (error) {
      this.problem = `The votes could not be read: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    await this.#updateNotes();
  }

  async #updateNotes(): Promise<void> {
    const run = ++this.#notesRun;
    const model = this.session.model.value;
    // While a model loads, which one is installed is not known yet: "no model is loaded" would be wrong a moment later.
    const notes = model.kind === 'loading' ? [] : mismatchNotes(this.list, await this.#installed());
    if (run === this.#notesRun) this.notes = notes;
  }

  /** The loaded model as votes name it; undefined when none is loaded or its manifest cannot be read. */
  async #installed() {
    const model = this.session.model.value;
    if (model.kind !== 'ready' || this.list.length === 0) return undefined;
    try {
      return { name: model.info.name, hash: await manifestHash(this.session.source.base) };
    } catch {
      return undefined;
    }
  }

  async #export() {
    const text = await this.votes.exportJsonl();
    const url = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `vidlet-votes-${new Date().toISOString().slice(0, 10)}.jsonl`;
    a.click();
    // The click has started the download; the URL is not needed after this turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  async #import(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.problem = undefined;
    try {
      this.report = importSummary(file.name, await this.votes.importJsonl(await file.text()));
      await this.refresh();
    } catch (error) {
      this.problem = `"${file.name}" could not be imported: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  override render() {
    const n = this.list.length;
    return html`
      <h2>Votes</h2>
      <p class="count">${n === 0 ? 'No votes yet: use Compare takes to vote.' : `${n} vote${n === 1 ? '' : 's'} stored in this browser.`}</p>
      <div class="controls">
        <button class="ghost export-votes" ?disabled=${n === 0} @click=${() => void this.#export()}>Export JSONL</button>
        <label class="ghost import">Import JSONL<input type="file" accept=".jsonl,.json,application/jsonl,text/plain" @change=${(e: Event) => void this.#import(e)} /></label>
      </div>
      ${this.report
        ? html`<div class="report" role="status">${this.report.text}${this.report.lines.length ? html`<ul>${this.report.lines.map((l) => html`<li>${l}</li>`)}</ul>` : nothing}</div>`
        : nothing}
      ${this.notes.map((note) => html`<p class="mismatch">${note}</p>`)}
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      <vidlet-taste-panel .taste=${this.taste} .records=${this.list}></vidlet-taste-panel>
    `;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 8px;
        font-size: 13px;
      }
      h2 {
        margin: 0;
        font-size: 15px;
      }
      p {
        margin: 0;
      }
      .controls {
        display: flex;
        gap: 8px;
      }
      label.import {
        cursor: pointer;
      }
      label.import input {
        width: 0;
        opacity: 0;
      }
      .mismatch {
        color: var(--ink-2);
      }
      .problem,
      .report li {
        color: var(--danger);
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-votes-panel': VotesPanel;
  }
}
