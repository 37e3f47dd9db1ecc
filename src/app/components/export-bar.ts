/**
 * Export buttons: each encodes the shown clip (with its settings embedded, so dropping the
 * file back on the page restores them) and offers it as a download link.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { EXPORT_FORMATS, exportClip, type ExportFormat } from '../data/clip-encoder';
import { formatBytes } from '../data/format-units';
import type { HistoryEntry } from '../data/history-store';
import { controls, tokens } from './theme';

interface Download {
  format: ExportFormat;
  url: string;
  name: string;
  bytes: number;
}

@customElement('vidlet-export-bar')
export class ExportBar extends LitElement {
  @property({ attribute: false }) entry?: HistoryEntry;
  @state() private busy?: ExportFormat;
  @state() private downloads: Download[] = [];
  @state() private problem?: string;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('entry')) this.#clear();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#clear();
  }

  override render() {
    if (!this.entry) return nothing;
    return html`
      <div class="row">
        <span class="label">Export</span>
        ${EXPORT_FORMATS.map(
          ({ format, label }) => html`<button
            data-format=${format}
            ?disabled=${this.busy !== undefined}
            @click=${() => this.#export(format)}
            title="Download as ${label}, with the settings embedded"
          >
            ${this.busy === format ? 'Encoding…' : label}
          </button>`,
        )}
      </div>
      ${this.downloads.length
        ? html`<div class="links">
            ${this.downloads.map(
              (d) => html`<a class="download" href=${d.url} download=${d.name}>⭳ ${d.name} <span class="muted">${formatBytes(d.bytes)}</span></a>`,
            )}
          </div>`
        : nothing}
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
    `;
  }

  async #export(format: ExportFormat) {
    const entry = this.entry;
    if (!entry) return;
    this.busy = format;
    this.problem = undefined;
    try {
      const existing = this.downloads.find((d) => d.format === format);
      const download = existing ?? (await this.#encode(entry, format));
      if (!existing) this.downloads = [...this.downloads, download];
      await this.updateComplete;
      // Start the download at once; the link stays for a second try.
      this.renderRoot.querySelector<HTMLAnchorElement>(`a[download="${download.name}"]`)?.click();
    } catch (error) {
      const label = EXPORT_FORMATS.find((f) => f.format === format)?.label ?? format;
      this.problem = `${label} export failed: ${error instanceof Error ? error.message : String(error)}. Try another format.`;
    } finally {
      this.busy = undefined;
    }
  }

  async #encode(entry: HistoryEntry, format: ExportFormat): Promise<Download> {
    const blob = await exportClip(entry, format);
    const extension = EXPORT_FORMATS.find((f) => f.format === format)?.extension ?? format;
    return { format, url: URL.createObjectURL(blob), name: `${fileStem(entry)}.${extension}`, bytes: blob.size };
  }

  #clear() {
    for (const d of this.downloads) URL.revokeObjectURL(d.url);
    this.downloads = [];
    this.problem = undefined;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 10px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px;
      }
      .label {
        font-size: 13px;
        font-weight: 600;
        color: var(--ink-2);
        margin-right: 4px;
      }
      .links {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
      }
      .download {
        font-size: 13px;
        color: var(--accent-strong);
        text-decoration: none;
      }
      .download:hover {
        text-decoration: underline;
      }
      .problem {
        margin: 0;
        color: var(--danger);
        font-size: 13px;
      }
    `,
  ];
}

/** "vidlet-a-red-ball-bouncing-seed42" */
export function fileStem(entry: HistoryEntry): string {
  const words = entry.settings.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `vidlet-${words || 'clip'}-seed${entry.settings.seed}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-export-bar': ExportBar;
  }
}
