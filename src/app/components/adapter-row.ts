/**
 * One adapter in the adapters panel: name, kind, where it comes from, trigger words, an enable
 * switch and a strength slider (with the number). Renders what it is given and sends
 * `adapter-toggle`, `adapter-strength` and (for the user's own) `vidlet-delete-adapter` upward.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { NO_DESCRIPTION_NOTE } from '../../engine/adapters/description';
import { STRENGTH_RANGE } from '../data/adapter-settings';
import type { AdapterChoice, AdapterInfo } from '../../engine/types';
import { ADAPTER_STRENGTH } from '../../package/request';
import { vidletEvent } from '../events';
import { controls, tokens } from './theme';

export interface AdapterToggle {
  name: string;
  enabled: boolean;
  strength: number;
}

@customElement('vidlet-adapter-row')
export class AdapterRow extends LitElement {
  @property({ attribute: false }) info!: AdapterInfo;
  /** The choice in the settings when enabled. */
  @property({ attribute: false }) choice?: AdapterChoice;
  @property() origin: 'model' | 'yours' = 'model';
  /** Why it cannot be used (refused by the model, unreadable description). */
  @property() problem?: string;
  /** False: kept for this visit only (storage failed). */
  @property({ type: Boolean }) stored = true;

  override render() {
    const a = this.info;
    const enabled = !!this.choice && !this.problem;
    const strength = this.choice?.strength ?? a.recommendedStrength ?? 1;
    const label = a.displayName ?? a.name;
    return html`<div class="row ${enabled ? 'on' : ''}" data-adapter=${a.name}>
      <label class="switch">
        <input type="checkbox" .checked=${enabled} ?disabled=${!!this.problem} @change=${this.#toggle} aria-label="Use ${a.name}" />
        <span class="name">${label}</span>
      </label>
      <span class="tags">
        <span class="tag kind">${a.kind}</span>
        <span class="tag">${this.origin === 'model' ? 'with the model' : this.stored ? 'yours' : 'yours · this visit only'}</span>
        ${this.origin === 'yours'
          ? html`<button class="ghost danger small" aria-label="Delete adapter ${a.name}" title="Delete this adapter from this device"
              @click=${() => this.dispatchEvent(vidletEvent('vidlet-delete-adapter', { name: a.name }))}>✕</button>`
          : nothing}
      </span>
      ${a.description ? html`<p class="muted desc">${a.description}</p>` : nothing}
      ${a.noDescription ? html`<p class="muted note" data-note="no-description">${NO_DESCRIPTION_NOTE[0]!.toUpperCase()}${NO_DESCRIPTION_NOTE.slice(1)}.</p>` : nothing}
      ${a.triggerWords?.length
        ? html`<p class="muted words">Trigger word${a.triggerWords.length === 1 ? '' : 's'}: ${a.triggerWords.map((w) => html`<code>${w}</code> `)}</p>`
        : nothing}
      ${this.problem ? html`<p class="problem" role="status">${this.problem}</p>` : nothing}
      ${enabled
        ? html`<div class="strength">
            <input type="range" min=${STRENGTH_RANGE.min} max=${STRENGTH_RANGE.max} step=${STRENGTH_RANGE.step} .value=${String(strength)}
              aria-label="Strength of ${a.name}" @input=${this.#strength} />
            <input type="number" class="num" min=${ADAPTER_STRENGTH.min} max=${ADAPTER_STRENGTH.max} step="0.05" .value=${String(strength)} aria-label="Strength of ${a.name} (number)" @change=${this.#strength} />
          </div>`
        : nothing}
    </div>`;
  }

  #toggle(e: Event) {
    const enabled = (e.target as HTMLInputElement).checked;
    const detail: AdapterToggle = { name: this.info.name, enabled, strength: this.info.recommendedStrength ?? 1 };
    this.dispatchEvent(new CustomEvent('adapter-toggle', { detail, bubbles: true, composed: true }));
  }

  #strength(e: Event) {
    const value = Number((e.target as HTMLInputElement).value);
    if (!Number.isFinite(value)) return;
    this.dispatchEvent(new CustomEvent('adapter-strength', { detail: { name: this.info.name, strength: value }, bubbles: true, composed: true }));
  }

  static override styles = [
    tokens,
    controls,
    css`
      .row {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 4px 8px;
        padding: 10px 12px;
        border: 1px solid var(--line);
        border-radius: var(--radius-sm);
      }
      .row.on {
        border-color: #cfc4ff;
        background: #fbfaff;
      }
      .switch {
        display: flex;
        align-items: center;
        gap: 8px;
        cursor: pointer;
        min-width: 0;
      }
      .switch input {
        width: auto;
        margin: 0;
      }
      .name {
        font-size: 14px;
        color: var(--ink);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .tags {
        display: flex;
        gap: 4px;
        align-items: center;
      }
      .tag {
        font-size: 11px;
        padding: 2px 7px;
        border-radius: 99px;
        background: var(--surface-2);
        color: var(--ink-2);
        white-space: nowrap;
      }
      .tag.kind {
        background: var(--accent-soft);
        color: var(--accent-strong);
      }
      button.small {
        padding: 2px 6px;
        font-size: 12px;
      }
      p {
        grid-column: 1 / -1;
        margin: 0;
      }
      code {
        background: var(--surface-2);
        border-radius: 4px;
        padding: 0 4px;
      }
      .note {
        font-size: 12px;
      }
      .problem {
        color: var(--danger);
        font-size: 12px;
        overflow-wrap: anywhere;
      }
      .strength {
        grid-column: 1 / -1;
        display: grid;
        grid-template-columns: 1fr 72px;
        gap: 8px;
        align-items: center;
      }
      .strength input[type='range'] {
        padding: 0;
        border: none;
      }
      .num {
        padding: 4px 6px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-adapter-row': AdapterRow;
  }
}
