/**
 * The model card: the installed models (model-library.ts: add, switch, remove), the loaded model
 * and its size, the backend in use (and why), whether a text encoder in parts stays loaded
 * (text-encoder-setting.ts), download progress on first use, the storage the
 * site uses, whether the browser keeps it persistently, and deleting the active model's cached copy.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { EngineSession } from '../data/engine-session';
import { formatBytes, formatDuration, formatSpeed } from '../data/format-units';
import { persistenceNotice } from '../data/storage-persistence';
import { engineContext, libraryContext } from '../contexts';
import type { ModelLibrary } from '../data/model-library';
import './model-library';
import './text-encoder-setting';
import { controls, tokens } from './theme';
import { Watch } from './watch';

@customElement('vidlet-model-panel')
export class ModelPanel extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @consume({ context: libraryContext }) library!: ModelLibrary;
  @state() private deleting = false;
  @state() private problem?: string;
  #watch = new Watch(this);

  override connectedCallback(): void {
    super.connectedCallback();
    void this.session.storage.refresh().catch(() => {});
  }

  override render() {
    const model = this.#watch.get(this.session.model);
    const storage = this.#watch.get(this.session.storage.state);
    this.#watch.get(this.library.state);
    const active = this.library.active;
    // A folder's package exists only in the cache: it is removed from the list, not "deleted as a cached copy".
    const cachedName = active.origin === 'local' ? undefined : active.id;
    const cachedBytes = cachedName ? this.session.storage.cachedBytes(cachedName) : undefined;
    const persistence = persistenceNotice(this.#watch.get(this.session.storage.persistence));
    return html`
      <h2>Model</h2>
      <vidlet-model-library></vidlet-model-library>
      ${model.kind === 'ready'
        ? html`<dl>
            <dt>Model</dt>
            <dd class="name">${model.info.displayName}</dd>
            <dt>Size</dt>
            <dd>${formatBytes(model.info.bytes)} · ${model.info.variant} · ${model.info.video.width}×${model.info.video.height}, ${model.info.video.frames} frames</dd>
            <dt>Runs on</dt>
            <dd class="backend">
              <span class="chip ${model.info.backend.backend}">${model.info.backend.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'}</span>
              ${model.info.backend.description}
              <div class="muted reason">${model.info.backend.reason}</div>
            </dd>
            ${model.info.textEncoderParts
              ? html`<dt>Text encoder</dt>
                  <dd><vidlet-text-encoder-setting .parts=${model.info.textEncoderParts}></vidlet-text-encoder-setting></dd>`
              : nothing}
            <dt>Loaded</dt>
            <dd>${model.fromCache ? 'from this device (works offline)' : 'downloaded and saved for offline use'} in ${formatDuration(model.loadMs)}</dd>
          </dl>`
        : nothing}
      ${model.kind === 'loading' ? this.#progress(model.progress) : nothing}
      ${model.kind === 'idle'
        ? html`<p class="muted" role="status">${model.note ?? 'The model loads on first use and is then kept on this device, so Vidlet works offline.'}</p>`
        : nothing}
      ${model.kind === 'error'
        ? html`<div class="error" role="alert"><strong>${model.error.title}</strong><p>${model.error.detail}</p><p>${model.error.action}</p></div>`
        : nothing}
      <div class="storage">
        <span class="muted">
          ${storage?.estimate
            ? html`Storage: <strong>${formatBytes(storage.estimate.usage)}</strong> used of ${formatBytes(storage.estimate.quota)}`
            : 'Storage use unknown in this browser'}
          ${cachedBytes !== undefined ? html` · model cache ${formatBytes(cachedBytes)}` : nothing}
        </span>
        ${cachedName && cachedBytes !== undefined
          ? html`<button class="danger small" ?disabled=${this.deleting || model.kind === 'loading'} @click=${() => this.#delete(cachedName)}>
              ${this.deleting ? 'Deleting…' : 'Delete cached model'}
            </button>`
          : nothing}
      </div>
      ${persistence
        ? html`<p class="persistence ${persistence.granted ? 'granted' : 'not-granted'}">
            <strong>${persistence.status}.</strong> <span class="muted">${persistence.explanation}</span>
          </p>`
        : nothing}
      ${this.problem ? html`<p class="error-text" role="alert">${this.problem}</p>` : nothing}
    `;
  }

  #progress(p: import('../../engine/types').LoadProgress | undefined) {
    const fraction = p && p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 0;
    const downloading = p?.phase === 'download' && !p.fromCache;
    return html`<div class="progress" role="status" aria-live="polite">
      <div class="line">
        <strong>${downloading ? 'Downloading model' : 'Loading model'}</strong>
        <span class="muted">${p ? `${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)}` : ''}</span>
        ${downloading
          ? html`<button class="small" title="Stop the download; the finished part is kept and the next load resumes from it" @click=${() => void this.session.cancelLoad()}>Cancel</button>`
          : nothing}
      </div>
      <div class="bar"><span style="width:${Math.round(fraction * 100)}%"></span></div>
      ${downloading
        ? html`<div class="muted">
            ${p?.bytesPerSecond && p.secondsLeft !== undefined
              ? `${formatSpeed(p.bytesPerSecond)} · about ${formatDuration(p.secondsLeft * 1000)} left`
              : 'Measuring speed…'}
          </div>`
        : html`<div class="muted">${p?.file ?? ''} ${p?.phase ?? ''}</div>`}
    </div>`;
  }

  async #delete(name: string) {
    if (!confirm(`Delete the cached copy of ${name}? It will be downloaded again the next time you generate.`)) return;
    this.deleting = true;
    this.problem = undefined;
    try {
      await this.session.deleteCachedModel(name);
    } catch (error) {
      this.problem = `Could not delete the cached model: ${error instanceof Error ? error.message : String(error)}. Reload the page and try again.`;
    } finally {
      this.deleting = false;
    }
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 14px;
        font-size: 14px;
      }
      h2 {
        margin: 0;
        font-size: 15px;
      }
      dl {
        display: grid;
        grid-template-columns: 76px 1fr;
        gap: 8px 12px;
        margin: 0;
      }
      dt {
        color: var(--ink-3);
        font-size: 13px;
      }
      dd {
        margin: 0;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .name {
        font-weight: 600;
      }
      .chip {
        display: inline-block;
        font-size: 11px;
        font-weight: 700;
        padding: 2px 8px;
        border-radius: 99px;
        background: var(--accent-soft);
        color: var(--accent-strong);
        margin-right: 4px;
      }
      .chip.wasm {
        background: #e8f4ee;
        color: var(--ok);
      }
      .reason {
        margin-top: 4px;
        font-size: 12px;
      }
      .progress {
        display: grid;
        gap: 6px;
      }
      .line {
        display: flex;
        justify-content: space-between;
      }
      .storage {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 10px;
        flex-wrap: wrap;
        border-top: 1px solid var(--line);
        padding-top: 12px;
      }
      .persistence {
        margin: 0;
        font-size: 13px;
      }
      .persistence.granted strong {
        color: var(--ok);
      }
      button.small {
        padding: 6px 10px;
        font-size: 13px;
      }
      .error {
        background: var(--danger-soft);
        color: var(--danger);
        border-radius: 8px;
        padding: 10px 12px;
      }
      .error p {
        margin: 4px 0 0;
      }
      .error-text {
        color: var(--danger);
        margin: 0;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-model-panel': ModelPanel;
  }
}
