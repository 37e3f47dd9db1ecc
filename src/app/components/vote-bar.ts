/**
 * The vote between take A and take B: one row per dimension (VQ, MQ, TA) with A / tie / B
 * buttons, an "Overall" row for a one-click overall preference (recorded alone, it sets none of
 * the three), and the keyboard of src/app/data/vote-keys.ts
 * (1 = A, 2 = B, 0 = tie for the focused row, arrows move focus). Fires `vote-change` with the
 * new state; the parent owns it, so a re-render never loses a vote.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Outcome } from '../../votes/btt';
import { DIMENSION_NAMES } from '../../votes/vote-record';
import { EMPTY_VOTE, KEY_DIMENSIONS, choose, onKey, setOverall, type VoteKeysState } from '../data/vote-keys';
import { controls, tokens } from './theme';

const CHOICES: [Outcome, string][] = [
  ['A', 'A better (1)'],
  ['tie', 'Tie (0)'],
  ['B', 'B better (2)'],
];

@customElement('vidlet-vote-bar')
export class VoteBar extends LitElement {
  @property({ attribute: false }) state: VoteKeysState = EMPTY_VOTE;

  override connectedCallback(): void {
    super.connectedCallback();
    // Focusable, so the keys work as soon as the takes are shown and the bar is clicked or tabbed to.
    this.tabIndex = 0;
    this.addEventListener('keydown', this.#key);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.#key);
  }

  #key = (e: KeyboardEvent) => {
    if (e.target !== this || e.altKey || e.ctrlKey || e.metaKey) return;
    const next = onKey(this.state, e.key);
    if (!next) return;
    e.preventDefault();
    this.#emit(next);
  };

  #emit(state: VoteKeysState) {
    this.dispatchEvent(new CustomEvent('vote-change', { detail: state }));
  }

  override render() {
    return html`
      ${KEY_DIMENSIONS.map(
        (d, i) => html`<div class="row ${i === this.state.focus ? 'focus' : ''}" data-dimension=${d}>
          <span class="name">${d} <span class="muted">${DIMENSION_NAMES[d]}</span></span>
          ${CHOICES.map(
            ([o, label]) =>
              html`<button class="choice ${this.state.outcomes[d] === o ? 'on' : ''}" aria-pressed=${this.state.outcomes[d] === o} data-outcome=${o} @click=${() => this.#emit(choose(this.state, d, o))}>${label}</button>`,
          )}
        </div>`,
      )}
      <div class="row overall">
        <span class="name">Overall <span class="muted">one click is enough</span></span>
        ${CHOICES.map(
          ([o, label]) =>
            html`<button class="choice ${this.state.overall === o ? 'on' : ''}" aria-pressed=${this.state.overall === o} data-overall=${o} @click=${() => this.#emit(setOverall(this.state, o))}>${label.replace(/ \(\d\)$/, '')}</button>`,
        )}
      </div>
    `;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 6px;
        outline: none;
      }
      :host(:focus-visible) .focus {
        outline: 2px solid var(--accent);
      }
      .row {
        display: grid;
        grid-template-columns: 1fr repeat(3, auto);
        gap: 6px;
        align-items: center;
        padding: 4px 6px;
        border-radius: 8px;
      }
      .focus {
        background: var(--accent-soft);
      }
      .name {
        font-weight: 600;
        font-size: 13px;
      }
      button.on {
        background: var(--accent);
        color: white;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-vote-bar': VoteBar;
  }
}
