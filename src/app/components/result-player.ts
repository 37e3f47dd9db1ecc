/**
 * The finished clip: a looping <video> of the encoded clip, a frame scrubber, and the predicted
 * motion (optical flow drawn as colour) beside it when the model produced one. Without a
 * working video encoder the frames play on a canvas and the player says so.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { HistoryEntry } from '../data/history-store';
import { formatDuration } from '../data/format-units';
import { FrameLoop } from './frame-loop';
import { cutFractions } from '../data/scene-list-state';
import { cutSummary } from '../../media/cut-detector';
import './cut-marks';
import { controls, tokens } from './theme';

@customElement('vidlet-result-player')
export class ResultPlayer extends LitElement {
  @property({ attribute: false }) entry?: HistoryEntry;
  @property({ type: Boolean, attribute: 'show-motion' }) showMotion = true;
  @property({ type: Boolean }) compact = false;

  @state() private frame = 0;
  @state() private scrubbing = false;
  @query('video') private video?: HTMLVideoElement;
  @query('canvas.frames') private framesCanvas?: HTMLCanvasElement;
  @query('canvas.motion') private motionCanvas?: HTMLCanvasElement;

  #url?: string;
  #framesLoop = new FrameLoop(this);
  #motionLoop = new FrameLoop(this);
  #raf?: number;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('entry')) {
      if (this.#url) URL.revokeObjectURL(this.#url);
      this.#url = this.entry?.clip ? URL.createObjectURL(this.entry.clip) : undefined;
      this.frame = 0;
      this.scrubbing = false;
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const tick = () => {
      this.#syncFromVideo();
      this.#raf = requestAnimationFrame(tick);
    };
    this.#raf = requestAnimationFrame(tick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#raf !== undefined) cancelAnimationFrame(this.#raf);
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = undefined;
  }

  override render() {
    const e = this.entry;
    if (!e) return nothing;
    const motion = this.showMotion ? e.motion : undefined;
    return html`
      <div class="views ${motion ? 'two' : ''}">
        <figure>
          <div class="frame">
            ${this.#url
              ? html`<video
                  src=${this.#url}
                  loop
                  muted
                  autoplay
                  playsinline
                  aria-label="Generated clip: ${e.settings.prompt}"
                ></video>`
              : html`<canvas class="frames" aria-label="Generated clip: ${e.settings.prompt}"></canvas>`}
          </div>
          ${motion ? html`<figcaption>Clip</figcaption>` : nothing}
        </figure>
        ${motion
          ? html`<figure>
              <div class="frame"><canvas class="motion" aria-label="Predicted motion, direction as colour"></canvas></div>
              <figcaption title="Optical flow the model predicted jointly with the clip: hue is direction, brightness is speed">
                Predicted motion
              </figcaption>
            </figure>`
          : nothing}
      </div>
      <div class="scrub">
        <button class="ghost play" @click=${this.#togglePlay} aria-label=${this.scrubbing ? 'Play' : 'Pause'}>
          ${this.scrubbing ? '▶' : '❚❚'}
        </button>
        <input
          type="range"
          min="0"
          max=${e.video.frames - 1}
          .value=${String(this.frame)}
          @input=${this.#scrub}
          aria-label="Frame"
        />
        <span class="muted count">frame ${this.frame + 1} / ${e.video.frames}</span>
      </div>
      ${e.sceneCheck
        ? html`<div class="scenes-found">
            <vidlet-cut-marks .fractions=${cutFractions(e.sceneCheck.cuts, e.video.frames)} label="Cuts found"></vidlet-cut-marks>
            <p class="muted" role="status">
              ${cutSummary(e.sceneCheck.found, e.sceneCheck.asked)}${e.sceneCheck.cuts.length
                ? ` (cuts at frame ${e.sceneCheck.cuts.map((c) => c + 1).join(', ')})`
                : ''}
            </p>
          </div>`
        : nothing}
      ${this.compact
        ? nothing
        : html`<p class="meta muted">
            ${e.video.width}×${e.video.height} · ${e.video.frames} frames at ${e.fps} fps · seed ${e.settings.seed} ·
            ${e.settings.steps} steps · ${formatDuration(e.totalMs)} on ${e.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'}
          </p>`}
      ${e.clipProblem
        ? html`<p class="warn" role="status">
            This browser could not encode a video file (${e.clipProblem}), so the frames play directly here. GIF and PNG
            export still work.
          </p>`
        : nothing}
      ${e.saveProblem ? html`<p class="warn" role="status">${e.saveProblem}</p>` : nothing}
    `;
  }

  protected override updated(): void {
    const e = this.entry;
    if (!e) return;
    if (!this.#url) this.#framesLoop.play(this.framesCanvas, e.video, e.fps);
    if (e.motion && this.showMotion) this.#motionLoop.play(this.motionCanvas, e.motion, e.fps);
  }

  /** Keeps the scrubber and the motion view on the frame the video is showing. */
  #syncFromVideo() {
    const e = this.entry;
    if (!e || this.scrubbing) return;
    const index = this.video
      ? Math.min(e.video.frames - 1, Math.floor(this.video.currentTime * e.fps))
      : this.#framesLoop.index;
    if (index !== this.frame) {
      this.frame = index;
      if (e.motion && this.video) this.#motionLoop.show(index);
    }
  }

  #scrub(event: Event) {
    const e = this.entry;
    if (!e) return;
    const index = Number((event.target as HTMLInputElement).value);
    this.scrubbing = true;
    this.frame = index;
    if (this.video) {
      this.video.pause();
      // The middle of the frame's display interval, so rounding never shows the neighbour.
      this.video.currentTime = (index + 0.5) / e.fps;
    } else this.#framesLoop.show(index);
    this.#motionLoop.show(index);
  }

  #togglePlay() {
    if (this.scrubbing) {
      this.scrubbing = false;
      void this.video?.play();
      this.#framesLoop.resume();
      this.#motionLoop.resume();
    } else {
      this.scrubbing = true;
      this.video?.pause();
      this.#framesLoop.show(this.frame);
      this.#motionLoop.show(this.frame);
    }
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 12px;
      }
      .views {
        display: grid;
        gap: 12px;
      }
      .views.two {
        grid-template-columns: 1fr 1fr;
      }
      figure {
        margin: 0;
        display: grid;
        gap: 6px;
      }
      figcaption {
        font-size: 12px;
        font-weight: 600;
        color: var(--ink-3);
        text-transform: uppercase;
        letter-spacing: 0.04em;
      }
      .frame {
        aspect-ratio: 1;
        width: min(100%, 460px);
        margin: 0 auto;
        border-radius: 12px;
        overflow: hidden;
        background: #111024;
      }
      video,
      canvas {
        width: 100%;
        height: 100%;
        display: block;
        object-fit: contain;
        image-rendering: pixelated;
      }
      .scrub {
        display: flex;
        align-items: center;
        gap: 10px;
      }
      .scrub input {
        flex: 1;
        padding: 0;
        border: none;
        accent-color: var(--accent);
      }
      .play {
        width: 34px;
        height: 34px;
        padding: 0;
        font-size: 12px;
      }
      .count {
        min-width: 90px;
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .meta {
        margin: 0;
      }
      .warn {
        margin: 0;
        font-size: 13px;
        color: #8a5a00;
        background: #fff6e0;
        border-radius: 8px;
        padding: 8px 10px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-result-player': ResultPlayer;
  }
}
