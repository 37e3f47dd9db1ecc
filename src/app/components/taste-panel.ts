/**
 * "Your taste", under the stored votes: once enough votes have the reward model's features
 * (TASTE_MIN_VOTES), the taste head is fitted on them here, in the page (refreshTaste, a few ms),
 * and its accuracy on the held-out votes is shown beside chance and always-tie. A checkbox turns
 * it off (takes are then ranked by the reward model alone); Reset forgets it and the votes so far.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TASTE_MIN_VOTES } from '../../votes/taste-votes';
import type { VoteRecord } from '../../votes/vote-record';
import type { SavedTasteHead } from '../data/taste-state';
import type { TasteStore } from '../data/taste-store';
import { controls, tokens } from './theme';
import { Watch } from './watch';

const percent = (x: number) => `${Math.round(x * 100)}%`;

@customElement('vidlet-taste-panel')
export class TastePanel extends LitElement {
  @property({ attribute: false }) taste!: TasteStore;
  /** Every stored vote (the votes panel's list). */
  @property({ attribute: false }) records: VoteRecord[] = [];

  @state() private why?: string;
  @state() private fitMs?: number;
  @state() private problem?: string;
  #watch = new Watch(this);
  #seen?: { records: VoteRecord[]; enabled: boolean; since: number };

  /** Refits when the votes, on/off or the reset changed since the last look (a render from a refit does not refit again). */
  override willUpdate(): void {
    const { enabled, since } = this.taste.state.value;
    const seen = this.#seen;
    if (seen && seen.records === this.records && seen.enabled === enabled && seen.since === since) return;
    this.#seen = { records: this.records, enabled, since };
    try {
      const start = performance.now();
      const result = this.taste.refresh(this.records);
      if (result.refitted) this.fitMs = performance.now() - start;
      this.why = result.why;
      this.problem = undefined;
    } catch (error) {
      this.problem = `Your taste head could not be fitted: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  override render() {
    const taste = this.#watch.get(this.taste.state);
    return html`
      <h3>Your taste</h3>
      ${this.taste.loadProblem ? html`<p class="note">${this.taste.loadProblem}</p>` : nothing}
      <div class="controls">
        <label><input type="checkbox" class="taste-on" .checked=${taste.enabled} @change=${(e: Event) => this.taste.setEnabled((e.target as HTMLInputElement).checked)} />
          Rank takes by my taste</label>
        <button class="ghost reset-taste" @click=${() => this.taste.reset()}>Reset taste</button>
      </div>
      ${taste.since ? html`<p class="note since">Reset ${new Date(taste.since).toLocaleString()}: only votes made after it are used.</p>` : nothing}
      ${!taste.enabled
        ? html`<p class="note off">Off: takes are ranked by the reward model alone.${taste.head ? ' Your fitted head is kept.' : ''}</p>`
        : taste.head
          ? this.#headView(taste.head)
          : html`<p class="note why">${this.why ?? `A taste head is fitted once ${TASTE_MIN_VOTES} votes have the reward model's features.`}</p>`}
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
    `;
  }

  #headView(head: SavedTasteHead) {
    const votes = head.trainCount + head.heldOutCount;
    const time = this.fitMs !== undefined ? ` in ${this.fitMs < 1 ? '<1' : Math.round(this.fitMs)} ms` : '';
    return html`<p class="fitted">Fitted on ${votes} votes of ${head.model.name} (${head.trainCount} to learn from, ${head.heldOutCount} held out)${time}.</p>
      ${head.heldOutAccuracy === undefined
        ? html`<p class="note">No vote happens to be held out yet, so its accuracy cannot be measured.</p>`
        : html`<p class="accuracy" role="status">
            Held-out accuracy <strong>${percent(head.heldOutAccuracy)}</strong> on ${head.heldOutCount} vote${head.heldOutCount === 1 ? '' : 's'}
            · chance ${percent(head.chance)}${head.alwaysTie !== undefined ? html` · always tie ${percent(head.alwaysTie)}` : nothing}
          </p>`}`;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 6px;
      }
      h3 {
        margin: 6px 0 0;
        font-size: 14px;
      }
      p {
        margin: 0;
      }
      .controls {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .note {
        color: var(--ink-2);
      }
      .problem {
        color: var(--danger);
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-taste-panel': TastePanel;
  }
}
