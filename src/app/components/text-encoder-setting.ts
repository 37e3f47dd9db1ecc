/**
 * The model panel's "Keep the text encoder loaded" checkbox, shown for a model whose text encoder is
 * in parts (ModelInfo.textEncoderParts): its words are text-encoder-setting.ts's; ticking it stores
 * the preference and loads the model again with it (EngineSession.setKeepTextEncoder).
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TextEncoderParts } from '../../engine/types';
import { engineContext } from '../contexts';
import { isActive, type EngineSession } from '../data/engine-session';
import { textEncoderSetting } from '../data/text-encoder-setting';
import { controls, tokens } from './theme';
import { Watch } from './watch';

@customElement('vidlet-text-encoder-setting')
export class TextEncoderSettingElement extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @property({ attribute: false }) parts!: TextEncoderParts;
  @state() private problem?: string;
  #watch = new Watch(this);

  override render() {
    const keep = this.#watch.get(this.session.preferences.keepTextEncoder);
    const busy = isActive(this.#watch.get(this.session.run)) || this.#watch.get(this.session.model).kind === 'loading';
    const s = textEncoderSetting(this.parts, keep);
    return html`
      <label><input type="checkbox" class="keep" .checked=${keep} ?disabled=${busy} @change=${this.#toggle} /> ${s.label}</label>
      <div class="muted cost">${s.cost}</div>
      ${s.status || s.pending ? html`<div class="muted status">${s.status ?? ''}${s.pending ? ' The box applies when the model loads again.' : ''}</div>` : nothing}
      ${this.problem ? html`<div class="error-text" role="alert">${this.problem}</div>` : nothing}
    `;
  }

  async #toggle(e: Event) {
    this.problem = undefined;
    try {
      await this.session.setKeepTextEncoder((e.target as HTMLInputElement).checked);
    } catch (error) {
      // A failed load is shown by the model panel; only a refusal to change is this control's.
      if (this.session.model.value.kind !== 'error') this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 4px;
      }
      label {
        display: flex;
        align-items: center;
        gap: 6px;
      }
      input[type='checkbox'] {
        width: auto;
        margin: 0;
      }
      .cost,
      .status {
        font-size: 12px;
      }
      .error-text {
        color: var(--danger);
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-text-encoder-setting': TextEncoderSettingElement;
  }
}
