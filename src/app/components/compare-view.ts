/** Two history entries side by side, with the settings that differ between them. */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { describeAdapters } from '../data/adapter-settings';
import type { GenerationSettings } from '../data/generation-settings';
import type { HistoryEntry } from '../data/history-store';
import './result-player';
import { controls, tokens } from './theme';

// 'scenes': the prompt already holds a plan's scene texts joined (scene lengths are not compared yet).
type Shown = Exclude<keyof GenerationSettings, 'blend' | 'scenes'>;

const LABELS: Record<Shown, string> = {
  prompt: 'Prompt',
  negativePrompt: 'Negative',
  seed: 'Seed',
  steps: 'Steps',
  guidance: 'Guidance',
  innerGuidance: 'Inner-Guidance',
  contrast: 'Shape emphasis',
  sampler: 'Sampler',
  adapters: 'Adapters',
  preset: 'Size',
};

/** A setting as text (adapters and their blend as one line; no shape emphasis is 0, as entries from before it). */
function shown(s: GenerationSettings, k: Shown): string {
  if (k === 'adapters') return describeAdapters(s);
  if (k === 'contrast') return String(s.contrast ?? 0);
  return String(s[k] ?? '');
}

@customElement('vidlet-compare-view')
export class CompareView extends LitElement {
  @property({ attribute: false }) a?: HistoryEntry;
  @property({ attribute: false }) b?: HistoryEntry;

  override render() {
    const { a, b } = this;
    if (!a || !b) return html``;
    const keys = Object.keys(LABELS) as Shown[];
    const differing = keys.filter((k) => shown(a.settings, k) !== shown(b.settings, k));
    return html`
      <div class="pair">
        ${[a, b].map(
          (e, i) => html`<section>
            <h3>${i === 0 ? 'A' : 'B'} <span class="muted">${e.settings.prompt}</span></h3>
            <vidlet-result-player .entry=${e} compact .showMotion=${false}></vidlet-result-player>
          </section>`,
        )}
      </div>
      <table>
        <tr><th></th><th>A</th><th>B</th></tr>
        ${(differing.length ? differing : ['seed' as const]).map(
          (k) => html`<tr><th>${LABELS[k]}</th><td>${shown(a.settings, k)}</td><td>${shown(b.settings, k)}</td></tr>`,
        )}
      </table>
    `;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 14px;
      }
      .pair {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 14px;
      }
      h3 {
        margin: 0 0 8px;
        font-size: 14px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      table {
        font-size: 13px;
        border-collapse: collapse;
      }
      th,
      td {
        text-align: left;
        padding: 4px 14px 4px 0;
      }
      th {
        color: var(--ink-3);
        font-weight: 600;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-compare-view': CompareView;
  }
}
