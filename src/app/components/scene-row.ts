/**
 * One scene of the scene list (#10): its text, its length in frames, move up/down and remove
 * buttons, and the plan's problems about this scene shown on it. Alt+ArrowUp/Down move it from the
 * keyboard. It only reports edits (scene-edit events); the list applies them to the settings.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Scene, ScenePlanProblem } from '../../package/scenes';
import { controls, tokens } from './theme';

export type SceneEdit =
  | { kind: 'text'; text: string }
  | { kind: 'frames'; frames: number }
  | { kind: 'move'; by: -1 | 1 }
  | { kind: 'remove' };

@customElement('vidlet-scene-row')
export class SceneRow extends LitElement {
  @property({ attribute: false }) scene!: Scene;
  /** 0-based position in the plan. */
  @property({ type: Number }) index = 0;
  @property({ type: Number }) count = 1;
  @property({ attribute: false }) problems: ScenePlanProblem[] = [];
  @property({ type: Number }) minFrames = 8;
  @property({ type: Number }) maxFrames = 64;
  @property({ type: Number }) frameStep = 1;

  override render() {
    const n = this.index + 1;
    const invalid = this.problems.some((p) => p.blocking);
    return html`
      <div class="row" @keydown=${this.#keydown}>
        <span class="number" aria-hidden="true">${n}</span>
        <textarea
          rows="2"
          aria-label="Scene ${n} text"
          aria-invalid=${invalid ? 'true' : 'false'}
          aria-describedby="problems"
          placeholder="what scene ${n} shows"
          .value=${this.scene.text}
          @input=${(e: Event) => this.#edit({ kind: 'text', text: (e.target as HTMLTextAreaElement).value })}
        ></textarea>
        <label class="frames">
          <span>frames</span>
          <input
            type="number"
            aria-label="Scene ${n} length in frames"
            min=${this.minFrames}
            max=${this.maxFrames}
            step=${this.frameStep}
            .value=${String(this.scene.frames)}
            @change=${(e: Event) => this.#edit({ kind: 'frames', frames: (e.target as HTMLInputElement).valueAsNumber })}
          />
        </label>
        <div class="buttons">
          <button type="button" class="ghost" aria-label="Move scene ${n} up" title="Move up (Alt+↑)" ?disabled=${this.index === 0}
            @click=${() => this.#edit({ kind: 'move', by: -1 })}>↑</button>
          <button type="button" class="ghost" aria-label="Move scene ${n} down" title="Move down (Alt+↓)" ?disabled=${this.index === this.count - 1}
            @click=${() => this.#edit({ kind: 'move', by: 1 })}>↓</button>
          <button type="button" class="ghost" aria-label="Remove scene ${n}" title="Remove this scene"
            @click=${() => this.#edit({ kind: 'remove' })}>✕</button>
        </div>
      </div>
      ${this.problems.length
        ? html`<ul id="problems" class="problems">${this.problems.map((p) => html`<li class=${p.blocking ? 'error-text' : 'muted'}>${p.message}</li>`)}</ul>`
        : nothing}
    `;
  }

  #keydown(e: KeyboardEvent) {
    if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    e.preventDefault();
    this.#edit({ kind: 'move', by: e.key === 'ArrowUp' ? -1 : 1 });
  }

  #edit(edit: SceneEdit) {
    this.dispatchEvent(new CustomEvent<SceneEdit>('scene-edit', { detail: edit, bubbles: true, composed: true }));
  }

  /** After a move the list re-renders this row at its new place; keep the keyboard on it. */
  focusText() {
    this.renderRoot.querySelector('textarea')?.focus();
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host { display: block; }
      .row { display: grid; grid-template-columns: auto 1fr auto auto; gap: 8px; align-items: start; }
      .number { font-weight: 600; padding-top: 6px; min-width: 1.2em; }
      .frames { display: grid; gap: 2px; font-size: 0.8em; }
      .frames input { width: 5em; }
      .buttons { display: flex; gap: 2px; }
      .problems { margin: 4px 0 0 2em; padding: 0; list-style: none; font-size: 0.9em; }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-scene-row': SceneRow;
  }
}
