/**
 * The live preview while a clip is generated: the engine's current estimate of the clean clip
 * (decoded by the small preview decoder after every step) playing as a loop, with step n/N,
 * elapsed time and the estimated time left. When a frame-by-frame VAE decoder sends finished
 * frames after the last step, it plays those instead, with which frames are being decoded.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { LoadProgress, StepPreview } from '../../engine/types';
import { decodedFraction, decodingLine, type DecodedSoFar } from '../data/decoded-frames';
import { formatBytes, formatDuration } from '../data/format-units';
import { FrameLoop } from './frame-loop';
import './cut-marks';
import { controls, tokens } from './theme';

@customElement('vidlet-live-preview')
export class LivePreview extends LitElement {
  @property({ attribute: false }) step?: StepPreview;
  /** The finished frames so far (a frame-by-frame decoder); absent: the step preview is shown. */
  @property({ attribute: false }) decoded?: DecodedSoFar;
  @property({ attribute: false }) loading?: LoadProgress;
  @property({ type: Boolean }) cancelling = false;
  @property({ type: Boolean }) finishing = false;
  @property({ type: Number }) fps = 8;
  @property({ type: Number }) startedAt = 0;
  /** Where the scene plan's cuts fall, as fractions of the clip (#10); none for one prompt. */
  @property({ attribute: false }) cuts: number[] = [];

  @query('canvas') private canvas?: HTMLCanvasElement;
  #loop = new FrameLoop(this);
  #clock?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    // Elapsed time ticks between steps too.
    this.#clock = setInterval(() => this.requestUpdate(), 500);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#clock);
  }

  override render() {
    const step = this.step;
    const decoded = this.decoded;
    const elapsed = performance.now() - this.startedAt;
    const fraction = decoded ? decodedFraction(decoded) : step ? step.step / step.steps : 0;
    return html`
      <div class="frame">
        <canvas
          aria-label=${decoded ? 'The finished frames decoded so far' : 'Live preview of the clip being generated'}
          data-step=${step?.step ?? 0}
          data-decoded=${decoded?.frames.frames ?? 0}
        ></canvas>
        ${step || decoded ? nothing : html`<div class="placeholder"><div class="spinner"></div><p>${this.#phaseText()}</p></div>`}
        ${this.cancelling ? html`<div class="badge">Cancelling…</div>` : nothing}
      </div>
      <div class="status" role="status" aria-live="polite">
        <div class="line">
          ${decoded
            ? html`<strong class="decoding">${this.finishing ? `All ${decoded.total} frames decoded` : decodingLine(decoded)}</strong>`
            : html`<strong class="step">${step ? `Step ${step.step} / ${step.steps}` : this.#phaseText()}</strong>`}
          <span class="muted">
            ${formatDuration(elapsed)} elapsed${decoded
              ? html` · <span class="eta">${this.finishing ? 'making the clip…' : 'decoding…'}</span>`
              : step
                ? html` · <span class="eta">${this.finishing ? 'decoding…' : `about ${formatDuration(step.etaMs)} left`}</span>`
                : nothing}
          </span>
        </div>
        <div class="bar"><span style="width:${Math.round(fraction * 100)}%"></span></div>
        ${this.cuts.length
          ? html`<vidlet-cut-marks class="planned-cuts" .fractions=${this.cuts} label="Planned cuts"></vidlet-cut-marks>
              <span class="muted">${this.cuts.length + 1} scenes planned: the marks show where the cuts fall in the clip</span>`
          : nothing}
      </div>
    `;
  }

  #phaseText(): string {
    const p = this.loading;
    if (!p) return 'Preparing…';
    switch (p.phase) {
      case 'manifest':
        return 'Reading the model description…';
      case 'download':
        return p.fromCache
          ? 'Loading the model from this device…'
          : `Downloading the model: ${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)}`;
      case 'verify':
        return 'Checking the model files…';
      case 'cache':
        return 'Saving the model for offline use…';
      case 'session':
        return 'Starting the model…';
    }
  }

  override updated(): void {
    const frames = this.decoded?.frames ?? this.step?.preview;
    if (frames) this.#loop.play(this.canvas, frames, this.fps);
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 14px;
      }
      .frame {
        position: relative;
        aspect-ratio: 1;
        width: min(100%, 460px);
        margin: 0 auto;
        border-radius: 12px;
        overflow: hidden;
        background: #111024;
      }
      canvas {
        width: 100%;
        height: 100%;
        object-fit: contain;
        image-rendering: pixelated;
        display: block;
      }
      .placeholder {
        position: absolute;
        inset: 0;
        display: grid;
        place-content: center;
        justify-items: center;
        color: #cfcde3;
        font-size: 14px;
        gap: 12px;
        text-align: center;
        padding: 16px;
      }
      .spinner {
        width: 28px;
        height: 28px;
        border-radius: 50%;
        border: 3px solid rgb(255 255 255 / 20%);
        border-top-color: white;
        animation: spin 0.9s linear infinite;
      }
      @keyframes spin {
        to {
          transform: rotate(360deg);
        }
      }
      .badge {
        position: absolute;
        top: 12px;
        left: 12px;
        background: rgb(0 0 0 / 60%);
        color: white;
        font-size: 12px;
        padding: 4px 10px;
        border-radius: 99px;
      }
      .status {
        display: grid;
        gap: 8px;
      }
      .line {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 12px;
        font-size: 14px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-live-preview': LivePreview;
  }
}
