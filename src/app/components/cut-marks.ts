/**
 * Marks at scene boundaries on a strip (#10): the cuts a scene plan will make, over the live
 * preview, and the cuts the detector found, over the result player's scrubber. Positions are
 * fractions of the clip (cutFractions in src/app/data/scene-list-state.ts).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';

@customElement('vidlet-cut-marks')
export class CutMarks extends LitElement {
  /** 0–1, one per cut. */
  @property({ attribute: false }) fractions: number[] = [];
  /** What the marks are, read by screen readers ("Planned cuts", "Cuts found"). */
  @property() label = 'Cuts';

  override render() {
    return html`<div class="strip" role="img" aria-label="${this.label}: ${this.fractions.length || 'none'}">
      ${this.fractions.map((f) => html`<span class="cut" style="left:${(f * 100).toFixed(2)}%"></span>`)}
    </div>`;
  }

  static override styles = css`
    :host { display: block; }
    .strip { position: relative; height: 8px; border-radius: 4px; background: color-mix(in srgb, currentColor 12%, transparent); }
    .cut { position: absolute; top: -3px; bottom: -3px; width: 2px; margin-left: -1px; background: var(--accent, #e0a000); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-cut-marks': CutMarks;
  }
}
