/**
 * What the installed-app layer offers (src/app/data/app-shell.ts): "A new version is ready —
 * Reload" when a newer build waits (else "Saved for offline use" once the app shell is cached, or why
 * it could not be), and an
 * Install button when Chrome offers to install the app.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { AppShell } from '../data/app-shell';
import { controls, tokens } from './theme';
import { Watch } from './watch';

@customElement('vidlet-app-shell-bar')
export class AppShellBar extends LitElement {
  @property({ attribute: false }) shell?: AppShell;
  #watch = new Watch(this);

  override render() {
    if (!this.shell) return nothing;
    const { update, installable, offlineReady, offlineProblem } = this.#watch.get(this.shell.state);
    const message =
      update.kind === 'ready' || update.kind === 'applying'
        ? 'A new version is ready'
        : update.kind === 'replaced'
          ? 'Vidlet was updated in another tab'
          : undefined;
    return html`${message
      ? html`<div class="update" role="status">
          <span>${message} —</span>
          <button class="primary" ?disabled=${update.kind === 'applying'} @click=${() => this.shell?.applyUpdate()}>
            ${update.kind === 'applying' ? 'Reloading…' : 'Reload'}
          </button>
        </div>`
      : offlineReady
        ? html`<span class="offline" title="The app is saved in this browser: it opens and generates with no network once the model is downloaded">Saved for offline use</span>`
        : offlineProblem
          ? html`<span class="offline-problem" role="status">${offlineProblem}</span>`
          : nothing}${installable
      ? html`<button class="install" title="Install Vidlet as an app: it opens in its own window and works offline" @click=${() => void this.shell?.install()}>
          Install
        </button>`
      : nothing}`;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 10px;
        flex-wrap: wrap;
      }
      .offline {
        font-size: 12px;
        font-weight: 600;
        color: var(--ok);
      }
      .offline-problem {
        font-size: 12px;
        font-weight: 600;
        color: var(--danger);
      }
      .update {
        display: flex;
        align-items: center;
        gap: 10px;
        background: var(--accent-soft);
        color: var(--accent-strong);
        border-radius: 12px;
        padding: 6px 8px 6px 14px;
        font-size: 14px;
        font-weight: 600;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-app-shell-bar': AppShellBar;
  }
}
