/**
 * A picture of an adapter's stage schedule — weight against denoising progress (t from 1 at the
 * left to 0 at the right), one line per block group — and, for a hand-set curve, its editor:
 * draggable points on the picture, the same points as numbers, and one multiplier per block
 * group. For DualReal it draws the shipped table: identity α (solid) and motion c − α (dashed).
 * Sends `curve-change` with the new CurveSpec; the picture uses the engine's own evaluators
 * (schedule-plot.ts), so it shows exactly what the denoiser will get.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { MAX_CURVE_POINTS } from '../data/adapter-settings';
import { blenderSeries, curveSeries, groupLabel, pathData, weightRange, type Series } from '../data/schedule-plot';
import type { BlenderInfo, CurveSpec } from '../../engine/types';
import { controls, tokens } from './theme';

const W = 280;
const H = 120;
const COLORS = ['#5b3df5', '#1c8a5a', '#d9822b', '#c62f4a', '#2b7bd9', '#8a5a00'];

@customElement('vidlet-schedule-editor')
export class ScheduleEditor extends LitElement {
  @property() mode: 'dualreal' | 'curve' = 'curve';
  @property({ attribute: false }) blender?: BlenderInfo;
  @property({ attribute: false }) curve?: CurveSpec;
  /** The model's block count (curves' groups index its blocks). */
  @property({ type: Number }) depth = 1;
  /** Which adapter the curve belongs to (labels only). */
  @property() adapter = '';

  #drag: number | null = null;
  #range: [number, number] = [0, 1];

  override render() {
    let lines: { series: Series; dashed: boolean; color: string }[] = [];
    let problem: string | undefined;
    if (this.mode === 'dualreal' && this.blender) {
      const { identity, motion } = blenderSeries(this.blender);
      lines = [
        ...identity.map((series, g) => ({ series, dashed: false, color: COLORS[g % COLORS.length]! })),
        ...motion.map((series, g) => ({ series, dashed: true, color: COLORS[g % COLORS.length]! })),
      ];
    } else if (this.curve) {
      try {
        lines = curveSeries(this.curve, this.depth).map((series, g) => ({ series, dashed: false, color: COLORS[g % COLORS.length]! }));
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    this.#range = weightRange(lines.map((l) => l.series));
    const [lo, hi] = this.#range;
    const zeroY = H - ((0 - lo) / (hi - lo || 1)) * H;
    return html`
      <figure>
        <svg viewBox="-36 -8 ${W + 46} ${H + 30}" role="img" aria-label=${this.#caption()} @pointermove=${this.#move} @pointerup=${this.#end} @pointercancel=${this.#end}>
          <rect x="0" y="0" width=${W} height=${H} class="plot"></rect>
          <line x1="0" x2=${W} y1=${zeroY} y2=${zeroY} class="zero"></line>
          <text x="-4" y="6" class="tick" text-anchor="end">${hi.toFixed(1)}</text>
          <text x="-4" y=${H} class="tick" text-anchor="end">${lo.toFixed(1)}</text>
          <text x="0" y=${H + 14} class="tick">t = 1 (noise)</text>
          <text x=${W} y=${H + 14} class="tick" text-anchor="end">t = 0 (clean)</text>
          ${lines.map((l) => svg`<path d=${pathData(l.series.points, W, H, this.#range)} stroke=${l.color} class=${l.dashed ? 'line dashed' : 'line'}></path>`)}
          ${this.mode === 'curve' && this.curve && !problem ? this.#handles(this.curve) : nothing}
        </svg>
        <figcaption>
          ${lines
            .filter((l) => !l.dashed)
            .map((l) => html`<span class="key"><i style="background:${l.color}"></i>${l.series.label}</span>`)}
          ${this.mode === 'dualreal' && this.blender
            ? html`<span class="muted">solid: ${this.blender.identity} (identity α) · dashed: ${this.blender.motion} (motion ${this.blender.c} − α)</span>`
            : nothing}
        </figcaption>
      </figure>
      ${problem ? html`<p class="problem" role="status">${problem}</p>` : nothing}
      ${this.mode === 'curve' && this.curve ? this.#inputs(this.curve) : nothing}
    `;
  }

  #caption(): string {
    return this.mode === 'dualreal'
      ? 'DualReal schedule: identity and motion weight per block group over the denoising run'
      : `Strength curve of ${this.adapter} per block group over the denoising run`;
  }

  /** The curve's own points (before group multipliers), draggable. */
  #handles(curve: CurveSpec) {
    const [lo, hi] = this.#range;
    const axisT = (curve.axis ?? 't') === 't';
    return curve.points.map(([pos, w], i) => {
      const x = (axisT ? 1 - pos : pos) * W;
      const y = H - ((w - lo) / (hi - lo || 1)) * H;
      return svg`<circle cx=${x} cy=${y} r="6" class="handle" data-point=${i} @pointerdown=${(e: PointerEvent) => this.#start(e, i)}></circle>`;
    });
  }

  #inputs(curve: CurveSpec) {
    const axisT = (curve.axis ?? 't') === 't';
    const groups = curve.groups ?? [];
    return html`<div class="inputs">
      <table>
        <tr><th>${axisT ? 't (1 = noise)' : 'progress'}</th><th>weight</th><th></th></tr>
        ${curve.points.map(
          ([pos, w], i) => html`<tr>
            <td><input type="number" step="0.05" min="0" max="1" .value=${String(pos)} aria-label="Point ${i + 1} position" @change=${(e: Event) => this.#setPoint(i, 0, e)} /></td>
            <td><input type="number" step="0.05" .value=${String(w)} aria-label="Point ${i + 1} weight" @change=${(e: Event) => this.#setPoint(i, 1, e)} /></td>
            <td><button class="ghost" ?disabled=${curve.points.length <= 1} aria-label="Remove point ${i + 1}" @click=${() => this.#removePoint(i)}>✕</button></td>
          </tr>`,
        )}
      </table>
      <button ?disabled=${curve.points.length >= MAX_CURVE_POINTS} @click=${this.#addPoint}>Add point</button>
      ${groups.length
        ? html`<div class="mults">
            ${groups.map(
              (blocks, g) => html`<label>× ${groupLabel(blocks, g, groups.length)}
                <input type="number" step="0.1" .value=${String(curve.multipliers?.[g] ?? 1)} aria-label="Multiplier for ${groupLabel(blocks, g, groups.length)}"
                  @change=${(e: Event) => this.#setMultiplier(g, e)} /></label>`,
            )}
          </div>`
        : nothing}
    </div>`;
  }

  #emit(curve: CurveSpec) {
    this.dispatchEvent(new CustomEvent('curve-change', { detail: { curve }, bubbles: true, composed: true }));
  }

  #setPoint(i: number, k: 0 | 1, e: Event) {
    const value = Number((e.target as HTMLInputElement).value);
    if (!this.curve || !Number.isFinite(value)) return;
    const points = this.curve.points.map((p) => [...p] as [number, number]);
    points[i]![k] = value;
    if (k === 0) points.sort((a, b) => a[0] - b[0]);
    this.#emit({ ...this.curve, points });
  }

  #removePoint(i: number) {
    if (!this.curve) return;
    this.#emit({ ...this.curve, points: this.curve.points.filter((_, j) => j !== i) });
  }

  /** A new point in the widest gap, on the curve (so the clip does not change until it is moved). */
  #addPoint() {
    if (!this.curve) return;
    const xs = [0, ...this.curve.points.map((p) => p[0]), 1];
    let best = 0;
    for (let i = 1; i < xs.length - 1; i++) if (xs[i + 1]! - xs[i]! > xs[best + 1]! - xs[best]!) best = i;
    const at = (xs[best]! + xs[best + 1]!) / 2;
    if (this.curve.points.some((p) => p[0] === at)) return;
    const points = [...this.curve.points.map((p) => [...p] as [number, number]), [at, weightAt(this.curve.points, at)] as [number, number]];
    points.sort((a, b) => a[0] - b[0]);
    this.#emit({ ...this.curve, points });
  }

  #setMultiplier(g: number, e: Event) {
    const value = Number((e.target as HTMLInputElement).value);
    if (!this.curve?.groups || !Number.isFinite(value)) return;
    const multipliers = this.curve.groups.map((_, j) => this.curve!.multipliers?.[j] ?? 1);
    multipliers[g] = value;
    this.#emit({ ...this.curve, multipliers });
  }

  #start(e: PointerEvent, i: number) {
    this.#drag = i;
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    e.preventDefault();
  }

  #move(e: PointerEvent) {
    if (this.#drag === null || !this.curve) return;
    const svgEl = e.currentTarget as SVGSVGElement;
    const ctm = svgEl.getScreenCTM();
    if (!ctm) return;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    const [lo, hi] = this.#range;
    const x = Math.min(1, Math.max(0, p.x / W));
    const weight = Math.round((lo + ((H - p.y) / H) * (hi - lo)) * 100) / 100;
    const axisT = (this.curve.axis ?? 't') === 't';
    const i = this.#drag;
    const points = this.curve.points.map((q) => [...q] as [number, number]);
    // A point moves between its neighbours, so the order (and the dragged index) never changes.
    const below = i > 0 ? points[i - 1]![0] + 0.01 : 0;
    const above = i < points.length - 1 ? points[i + 1]![0] - 0.01 : 1;
    const pos = Math.round(Math.min(above, Math.max(below, axisT ? 1 - x : x)) * 100) / 100;
    points[i] = [pos, weight];
    this.#emit({ ...this.curve, points });
  }

  #end() {
    this.#drag = null;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 8px;
      }
      figure {
        margin: 0;
      }
      svg {
        width: 100%;
        height: auto;
        touch-action: none;
        user-select: none;
      }
      .plot {
        fill: var(--surface-2);
        stroke: var(--line);
      }
      .zero {
        stroke: #cfcbe3;
        stroke-dasharray: 2 3;
      }
      .tick {
        font-size: 9px;
        fill: var(--ink-3);
      }
      .line {
        fill: none;
        stroke-width: 2;
      }
      .dashed {
        stroke-dasharray: 5 4;
      }
      .handle {
        fill: white;
        stroke: var(--ink);
        stroke-width: 1.5;
        cursor: grab;
      }
      figcaption {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 10px;
        font-size: 12px;
        color: var(--ink-2);
      }
      .key i {
        display: inline-block;
        width: 10px;
        height: 3px;
        margin-right: 4px;
        vertical-align: middle;
      }
      .problem {
        margin: 0;
        color: var(--danger);
        font-size: 12px;
      }
      .inputs {
        display: grid;
        gap: 6px;
        justify-items: start;
      }
      table {
        border-collapse: collapse;
        font-size: 12px;
      }
      th {
        text-align: left;
        color: var(--ink-3);
        font-weight: 600;
        padding-right: 6px;
      }
      td input {
        width: 80px;
        padding: 4px 6px;
      }
      td button {
        padding: 2px 6px;
      }
      .mults {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 12px;
      }
      .mults label {
        display: grid;
        gap: 2px;
        font-size: 12px;
        font-weight: 500;
      }
      .mults input {
        width: 80px;
        padding: 4px 6px;
      }
    `,
  ];
}

/** Linear interpolation of the points at `at` (flat beyond the ends), as the engine evaluates them. */
function weightAt(points: readonly [number, number][], at: number): number {
  if (at <= points[0]![0]) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    if (at <= x1) return y0 + ((at - x0) / (x1 - x0)) * (y1 - y0);
  }
  return points[points.length - 1]![1];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-schedule-editor': ScheduleEditor;
  }
}
