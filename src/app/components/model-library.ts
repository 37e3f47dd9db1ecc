/**
 * The installed models (#11): the list (embedded first) with Use / Remove, and adding a converted
 * package by its address or from a picked folder (a folder dropped anywhere on the page arrives
 * here too: vidlet-app hands it to ModelLibrary.check, whose `pending` this renders). A package is shown
 * with its size, the weights this device would load and the storage left before it is added; one
 * that cannot fit is refused there, with the numbers, before anything is downloaded or stored.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { isActive, type EngineSession } from '../data/engine-session';
import { formatBytes, formatDate } from '../data/format-units';
import type { Candidate, ModelLibrary } from '../data/model-library';
import { largestSession, WASM_MEMORY_BYTES } from '../data/model-fit';
import type { LibraryEntry } from '../data/model-library-state';
import { engineContext, libraryContext } from '../contexts';
import { controls, tokens } from './theme';
import { Watch } from './watch';

const ORIGIN: Record<LibraryEntry['origin'], string> = { embedded: 'built in', url: 'from an address', local: 'from a folder' };

@customElement('vidlet-model-library')
export class ModelLibraryView extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @consume({ context: libraryContext }) library!: ModelLibrary;
  @query('input[type=url]') private urlInput!: HTMLInputElement;
  @query('input[type=file]') private folderInput!: HTMLInputElement;
  #watch = new Watch(this);

  override render() {
    const library = this.#watch.get(this.library.state);
    const activity = this.#watch.get(this.library.activity);
    const pending = this.#watch.get(this.library.pending);
    const problem = this.#watch.get(this.library.problem);
    const run = this.#watch.get(this.session.run);
    const model = this.#watch.get(this.session.model);
    const storage = this.#watch.get(this.session.storage.state);
    const active = this.library.active;
    const busy = activity.kind !== 'idle';
    const locked = isActive(run) || busy || model.kind === 'loading';
    return html`
      <ul class="models" aria-label="Installed models">
        ${this.library.models.map((e) => {
          const cached = storage?.models.find((m) => m.name === e.id)?.bytes;
          const size = e.bytes || (model.kind === 'ready' && model.info.name === e.id ? model.info.bytes : 0);
          return html`<li data-model=${e.id} class=${e.id === active.id ? 'active' : ''}>
            <div>
              <span class="name">${e.displayName}</span>
              <span class="muted meta">
                ${ORIGIN[e.origin]}${size ? html` · <span class="size">${formatBytes(size)}</span>` : nothing}${cached !== undefined && e.origin !== 'local' ? ` · ${formatBytes(cached)} stored` : ''}${e.addedAt ? ` · added ${formatDate(e.addedAt)}` : ''}
              </span>
            </div>
            <div class="row-actions">
              ${e.id === active.id
                ? html`<span class="chip">Active</span>`
                : html`<button class="small" ?disabled=${locked} title=${isActive(run) ? 'Not while a generation runs' : ''} @click=${() => this.library.use(this.session, e.id)} aria-label="Use ${e.displayName}">Use</button>`}
              ${e.origin !== 'embedded'
                ? html`<button class="small danger" ?disabled=${locked} @click=${() => this.#remove(e)} aria-label="Remove ${e.displayName}">Remove</button>`
                : nothing}
            </div>
          </li>`;
        })}
      </ul>
      <form class="add" @submit=${this.#checkUrl}>
        <input type="url" aria-label="Model address" placeholder="https://…/model-folder/ (holding manifest.json)" ?disabled=${busy} />
        <button type="submit" class="small" ?disabled=${busy}>Check address</button>
        <button type="button" class="small" ?disabled=${busy} @click=${() => this.folderInput.click()}>Add folder…</button>
        <input type="file" webkitdirectory multiple hidden aria-label="Model folder" @change=${this.#picked} />
      </form>
      ${activity.kind === 'checking' ? html`<p class="muted" role="status">Checking ${activity.where}…</p>` : nothing}
      ${activity.kind === 'importing'
        ? html`<p class="muted" role="status">
            Storing and checking ${activity.progress ? `${activity.progress.path}: ${formatBytes(activity.progress.storedBytes)} of ${formatBytes(activity.progress.totalBytes)}` : 'files'}…
          </p>`
        : nothing}
      ${pending ? this.#candidateView(pending.candidate, busy) : nothing}
      ${problem ? html`<p class="error-text library-problem" role="alert">${problem}</p>` : nothing}
      ${library.added.length === 0 && !pending
        ? html`<p class="muted hint">Add a converted model (a folder with manifest.json, ONNX files and tokenizer.json) by its address, or drop the folder on the page.</p>`
        : nothing}
    `;
  }

  #candidateView(c: Candidate, busy: boolean) {
    const p = c.plan;
    // Memory is per session: each part of a text encoder in parts is its own session.
    const largest = p.components.reduce((a, b) => (largestSession(b) > largestSession(a) ? b : a), p.components[0]);
    const weights = p.components.reduce((n, x) => n + x.bytes, 0);
    const deviceMemory = (navigator as { deviceMemory?: number }).deviceMemory;
    return html`<div class="candidate" role="group" aria-label="Model to add">
      <p><strong class="candidate-name">${p.displayName}</strong> <span class="muted">${p.name} · ${c.where}</span></p>
      <p class="candidate-size">
        ${c.origin === 'url' ? 'Download' : 'Stores'}: <strong>${formatBytes(c.storeBytes)}</strong>
        <span class="muted">(${p.components.map((x) => `${x.name} ${x.variant}`).join(', ')})</span>
      </p>
      <p class="muted">
        On ${p.backendDescription}: largest session ${largest?.name} ${formatBytes(largest ? largestSession(largest) : 0)}${largest?.partBytes !== undefined ? ' (its largest part; it runs in parts, one at a time)' : ''} of the ${formatBytes(WASM_MEMORY_BYTES)} WebAssembly memory holds;
        all weights ${formatBytes(weights)}${deviceMemory ? `; this device reports about ${deviceMemory} GB of memory` : ''}.
        ${p.estimate ? `Storage left for this site: ${formatBytes(p.estimate.free)} of ${formatBytes(p.estimate.quota)}.` : 'This browser does not say how much storage is left.'}
      </p>
      ${c.problems.length > 0
        ? html`<p class="error-text refusal" role="alert">Cannot add ${p.displayName}: ${c.problems.map((x) => x.message).join(' ')}</p>`
        : nothing}
      <div class="row-actions">
        ${c.problems.length === 0 ? html`<button class="small primary" ?disabled=${busy} @click=${() => this.library.addPending()}>Add model</button>` : nothing}
        <button class="small" ?disabled=${busy} @click=${() => this.library.dismissPending()}>${c.problems.length ? 'Close' : 'Cancel'}</button>
      </div>
    </div>`;
  }

  #checkUrl = (e: Event) => {
    e.preventDefault();
    void this.library.check({ url: this.urlInput.value }).then(() => {
      if (this.library.pending.value) this.urlInput.value = '';
    });
  };

  #picked = () => {
    const files = [...(this.folderInput.files ?? [])].map((f) => ({ path: f.webkitRelativePath || f.name, file: f as Blob }));
    this.folderInput.value = '';
    if (files.length > 0) void this.library.check({ files });
  };

  #remove(entry: LibraryEntry) {
    if (!confirm(`Remove ${entry.displayName}? Its stored files are deleted${entry.origin === 'url' ? '; add its address again to use it' : '; add the folder again to use it'}.`)) return;
    void this.library.removeReporting(this.session, entry.id);
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 10px;
        font-size: 14px;
      }
      .models {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 6px;
      }
      .models li {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 8px;
        padding: 8px 10px;
        border: 1px solid var(--line);
        border-radius: var(--radius-sm);
      }
      .models li.active {
        border-color: var(--accent);
        background: var(--accent-soft);
      }
      .name {
        font-weight: 600;
        display: block;
      }
      .meta {
        font-size: 12px;
      }
      .row-actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      .chip {
        font-size: 11px;
        font-weight: 700;
        padding: 2px 8px;
        border-radius: 99px;
        background: var(--surface);
        color: var(--accent-strong);
      }
      .add {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      .add input[type='url'] {
        flex: 1 1 180px;
        min-width: 0;
        font: inherit;
        padding: 6px 8px;
        border: 1px solid var(--line);
        border-radius: var(--radius-sm);
      }
      button.small {
        padding: 6px 10px;
        font-size: 13px;
      }
      .candidate {
        display: grid;
        gap: 6px;
        padding: 10px 12px;
        border: 1px dashed var(--accent);
        border-radius: var(--radius-sm);
      }
      .candidate p {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .error-text {
        color: var(--danger);
        margin: 0;
        overflow-wrap: anywhere;
      }
      .hint {
        margin: 0;
        font-size: 13px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-model-library': ModelLibraryView;
  }
}
