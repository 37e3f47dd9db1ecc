/**
 * The adapters panel beside the prompt form: the model's adapters and the user's own (dropped on
 * the page or picked with "Add files…"), each with an enable switch and a strength; the blend
 * choice (constant, DualReal when the shipped StageBlender table applies, a custom curve); a
 * picture / editor of the schedule; and a hint when an enabled adapter's trigger word is not in
 * the prompt (the prompt is never edited for the user). Everything it changes is generation
 * settings (src/app/data/adapter-settings.ts), so history, exports and restore carry it.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { AdapterLibrary } from '../data/adapter-library';
import {
  blendChoiceOf, completesBlenderPair, dualRealProblem, evenGroups, missingTriggerWords, withAdapterCurve, withAdapterEnabled, withAdapterStrength,
  BLEND_CHOICES, withBlendChoice, withoutAdapter, type BlendChoice,
} from '../data/adapter-settings';
import type { EngineSession } from '../data/engine-session';
import type { SettingsStore } from '../data/settings-store';
import type { CurveSpec } from '../../engine/types';
import { adapterContext, engineContext, settingsContext } from '../contexts';
import { vidletEvent } from '../events';
import './adapter-row';
import type { AdapterToggle } from './adapter-row';
import './schedule-editor';
import { controls, tokens } from './theme';
import { Watch } from './watch';

const BLEND_LABELS: Record<BlendChoice, string> = {
  constant: 'Constant',
  dualreal: 'DualReal',
  curve: 'Custom curve',
};

@customElement('vidlet-adapter-panel')
export class AdapterPanel extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @consume({ context: settingsContext }) settingsStore!: SettingsStore;
  @consume({ context: adapterContext }) library!: AdapterLibrary;

  /** The adapter whose curve the editor shows (custom curve mode). */
  @state() private editing?: string;
  #watch = new Watch(this);

  override render() {
    const lib = this.#watch.get(this.library.state);
    const s = this.#watch.get(this.settingsStore.settings);
    const model = this.#watch.get(this.session.model);
    const choices = s.adapters ?? [];
    const choice = blendChoiceOf(s);
    const all = [
      ...lib.shipped.map((info) => ({ info, origin: 'model' as const, problem: info.problem, stored: true })),
      ...lib.added.map((a) => ({ info: a.info, origin: 'yours' as const, problem: a.problem, stored: a.stored })),
    ];
    const known = new Set(all.map((a) => a.info.name));
    const unavailable = choices.filter((c) => !known.has(c.name));
    const dualProblem = dualRealProblem(lib.blender, s, lib.blenderProblem);
    const missing = missingTriggerWords(s.prompt, choices, all.map((a) => a.info));
    const enabled = choices.filter((c) => known.has(c.name));
    const editing = enabled.find((c) => c.name === this.editing) ?? enabled[0];

    return html`
      <header>
        <h2>Adapters</h2>
        <button type="button" @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click()}>Add files…</button>
        <input type="file" multiple accept=".safetensors,.json" hidden aria-label="Adapter files" @change=${this.#picked} />
      </header>
      ${model.kind !== 'ready'
        ? html`<p class="muted load">
            The model’s own adapters are listed once it is loaded.
            <button type="button" class="load-model" ?disabled=${model.kind === 'loading'} @click=${this.#loadModel}>
              ${model.kind === 'loading' ? 'Loading…' : 'Load the model now'}
            </button>
          </p>`
        : nothing}
      ${all.length === 0
        ? html`<p class="muted">
            ${model.kind === 'ready' ? 'This model ships no adapters. ' : ''}
            Drop an adapter’s <code>.safetensors</code> (and its <code>.json</code> description, if it has one) anywhere on the page to add it.
          </p>`
        : html`<div class="list" @adapter-toggle=${this.#toggle} @adapter-strength=${this.#strength}>
            ${all.map(
              (a) => html`<vidlet-adapter-row .info=${a.info} .choice=${choices.find((c) => c.name === a.info.name)} origin=${a.origin}
                .problem=${a.problem} .stored=${a.stored}></vidlet-adapter-row>`,
            )}
          </div>`}
      ${unavailable.map(
        (c) => html`<p class="warn" role="status">
          These settings use adapter <strong>${c.name}</strong>, which is not on this device: drop its files, or
          <button class="ghost link" @click=${() => this.settingsStore.patch(withoutAdapter(this.settingsStore.settings.value, c.name))}>leave it out</button>.
        </p>`,
      )}
      ${missing.map(
        (m) => html`<p class="warn trigger" role="status">
          The prompt does not mention ${m.words.map((w, i) => html`${i ? ' or ' : ''}<mark>${w}</mark>`)}, which ${m.words.length === 1 ? 'is the word that calls' : 'are the words that call'}
          up <strong>${m.name}</strong>; without it the adapter may show little.
        </p>`,
      )}
      ${lib.lora && lib.lora.slots.length === 0
        ? html`<p class="warn no-slots" role="status">This model has no adapter slots, so it takes no adapters: generate without them.</p>`
        : lib.lora && enabled.length > lib.lora.slots.length
        ? html`<p class="warn" role="status">
            This model has ${lib.lora.slots.length} adapter slots (${lib.lora.slots.join(', ')}): enable at most ${lib.lora.slots.length} adapters at once.
          </p>`
        : nothing}
      ${enabled.length ? this.#blend(choice, dualProblem, lib.lora?.depth ?? 1, editing) : nothing}
    `;
  }

  #blend(choice: BlendChoice, dualProblem: string | undefined, depth: number, editing: { name: string; schedule?: CurveSpec } | undefined) {
    const lib = this.library.state.value;
    return html`<fieldset>
        <legend>Schedule</legend>
        <div class="choices" role="radiogroup" aria-label="Blend">
          ${BLEND_CHOICES.map((c) => {
            const disabled = c === 'dualreal' && !!dualProblem && choice !== 'dualreal';
            return html`<label class=${disabled ? 'off' : ''} title=${c === 'dualreal' && dualProblem ? dualProblem : ''}>
              <input type="radio" name="blend" value=${c} .checked=${choice === c} ?disabled=${disabled} @change=${() => this.#setBlend(c)} />${BLEND_LABELS[c]}
            </label>`;
          })}
        </div>
        ${choice === 'constant' ? html`<p class="muted">Each adapter at its strength on every step and block.</p>` : nothing}
        ${choice !== 'dualreal' && dualProblem && lib.blender ? html`<p class="muted">${dualProblem}</p>` : nothing}
        ${choice === 'dualreal'
          ? dualProblem
            ? html`<p class="warn" role="status">${dualProblem}</p>`
            : html`<p class="muted">The shipped StageBlender table shares the blocks between ${lib.blender!.identity} and ${lib.blender!.motion} at every step; strengths scale it.</p>
                <vidlet-schedule-editor mode="dualreal" .blender=${lib.blender} .depth=${depth}></vidlet-schedule-editor>`
          : nothing}
        ${choice === 'curve' && editing?.schedule ? this.#curveEditor(editing as { name: string; schedule: CurveSpec }, depth) : nothing}
      </fieldset>`;
  }

  #curveEditor(editing: { name: string; schedule: CurveSpec }, depth: number) {
    const withCurves = (this.settingsStore.settings.value.adapters ?? []).filter((a) => a.schedule);
    return html`${withCurves.length > 1
        ? html`<label class="which">Curve of
            <select @change=${(e: Event) => (this.editing = (e.target as HTMLSelectElement).value)}>
              ${withCurves.map((a) => html`<option value=${a.name} ?selected=${a.name === editing.name}>${a.name}</option>`)}
            </select></label>`
        : html`<p class="muted">Curve of <strong>${editing.name}</strong> (weight × strength, per block group).</p>`}
      <vidlet-schedule-editor mode="curve" .curve=${editing.schedule} .depth=${depth} adapter=${editing.name}
        @curve-change=${(e: CustomEvent<{ curve: CurveSpec }>) => this.#patch(withAdapterCurve(this.settingsStore.settings.value, editing.name, e.detail.curve))}></vidlet-schedule-editor>`;
  }

  #groups(): number[][] {
    const lib = this.library.state.value;
    // The StageBlender's groups when there is one (the same split the model was tuned with), else three even groups.
    return lib.blender?.groups ?? evenGroups(lib.lora?.depth ?? 1, 3);
  }

  #patch(change: Parameters<SettingsStore['patch']>[0]) {
    this.settingsStore.patch(change);
    this.settingsStore.notice.set(undefined);
  }

  #toggle(e: CustomEvent<AdapterToggle>) {
    const { name, enabled, strength } = e.detail;
    const lib = this.library.state.value;
    const before = this.settingsStore.settings.value;
    let next = { ...before, ...withAdapterEnabled(before, name, enabled, strength, this.#groups()) };
    // Enabling the second of the table's pair: the two were trained under that table, so use it.
    if (completesBlenderPair(lib.blender, before, next)) next = { ...next, ...withBlendChoice(next, 'dualreal', this.#groups()) };
    // Turning off half of the DualReal pair leaves the table nothing to blend: back to constant (the radio shows it).
    if (next.blend === 'dualreal' && dualRealProblem(lib.blender, next, lib.blenderProblem)) next = { ...next, ...withBlendChoice(next, 'constant', this.#groups()) };
    this.#patch({ adapters: next.adapters, blend: next.blend });
    if (enabled) this.editing = name;
  }

  #strength(e: CustomEvent<{ name: string; strength: number }>) {
    this.#patch(withAdapterStrength(this.settingsStore.settings.value, e.detail.name, e.detail.strength));
  }

  #setBlend(c: BlendChoice) {
    this.#patch(withBlendChoice(this.settingsStore.settings.value, c, this.#groups()));
  }

  /** Loads the model without generating, so its adapters can be chosen first (a failure shows in the model panel). */
  #loadModel() {
    void this.session.ensureModel().catch(() => {});
  }

  #picked(e: Event) {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) this.dispatchEvent(vidletEvent('vidlet-add-adapters', { files }));
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 10px;
      }
      header {
        display: flex;
        justify-content: space-between;
        align-items: center;
      }
      h2 {
        margin: 0;
        font-size: 15px;
      }
      p {
        margin: 0;
        font-size: 13px;
      }
      .list {
        display: grid;
        gap: 8px;
      }
      .warn {
        color: #8a5a00;
        background: #fff6e0;
        border-radius: 8px;
        padding: 6px 10px;
      }
      mark {
        background: #ffe2a3;
        border-radius: 4px;
        padding: 0 4px;
      }
      button.link {
        padding: 0;
        font-size: 13px;
        text-decoration: underline;
      }
      fieldset {
        border: 1px solid var(--line);
        border-radius: var(--radius-sm);
        padding: 10px 12px;
        display: grid;
        gap: 8px;
        margin: 0;
        min-width: 0;
      }
      legend {
        font-size: 13px;
        font-weight: 600;
        color: var(--ink-2);
        padding: 0 4px;
      }
      .choices {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
      }
      .choices label {
        display: flex;
        align-items: center;
        gap: 4px;
        font-weight: 500;
        cursor: pointer;
      }
      .choices label.off {
        opacity: 0.55;
        cursor: not-allowed;
      }
      .choices input {
        width: auto;
        margin: 0;
      }
      .which {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .which select {
        width: auto;
      }
      code {
        background: var(--surface-2);
        border-radius: 4px;
        padding: 0 4px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-adapter-panel': AdapterPanel;
  }
}
