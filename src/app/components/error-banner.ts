/** A readable error: what happened, the engine's detail, and what to do next. */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { UserError } from '../data/user-error';
import { controls, tokens } from './theme';

@customElement('vidlet-error-banner')
export class ErrorBanner extends LitElement {
  @property({ attribute: false }) error?: UserError;

  override render() {
    const e = this.error;
    if (!e) return nothing;
    return html`<div class="banner" role="alert">
      <div>
        <strong>${e.title}</strong>
        <p class="detail">${e.detail}</p>
        <p class="action">${e.action}</p>
      </div>
      <button class="ghost" aria-label="Dismiss" @click=${() => this.dispatchEvent(new CustomEvent('dismiss', { bubbles: true, composed: true }))}>✕</button>
    </div>`;
  }

  static override styles = [
    tokens,
    controls,
    css`
      .banner {
        display: flex;
        justify-content: space-between;
        gap: 12px;
        background: var(--danger-soft);
        border: 1px solid #f3c4cd;
        color: #7d1428;
        border-radius: 12px;
        padding: 12px 14px;
        font-size: 14px;
      }
      p {
        margin: 4px 0 0;
      }
      .detail {
        color: #9b3347;
        font-size: 13px;
        overflow-wrap: anywhere;
      }
      .action {
        font-weight: 600;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-error-banner': ErrorBanner;
  }
}
