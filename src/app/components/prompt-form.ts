/**
 * The prompt form: prompt, negative prompt, seed (with Random), steps, guidance (the CFG scale w,
 * docs/model-package.md), and in an advanced section Inner-Guidance (VideoJAM w2), shape emphasis
 * (contrast guidance w3) and the sampler. Generate becomes Cancel while a run is active;
 * Ctrl/Cmd+Enter generates. Words the model never saw are listed under the prompt instead of being silently ignored, and so are the
 * colour names the package's lexicon reads as the colours the model knows.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ModelInfo, PromptAnalysis } from '../../engine/types';
import { attentionBytes, attentionProblem } from '../../package/attention-fit';
import { describePreset } from '../../package/presets';
import { formatBytes } from '../data/format-units';
import type { AdapterLibrary } from '../data/adapter-library';
import { splitUnknownWords } from '../data/adapter-settings';
import { isActive, type EngineSession, type RunState } from '../data/engine-session';
import { guidancePasses, presetFor, presetProblem, stepControl, validateSettings, type GenerationSettings, type SettingsProblem } from '../data/generation-settings';
import { CONTRAST, GUIDANCE, INNER_GUIDANCE, SAMPLER_NAMES, SEED, STEPS, type SamplerName } from '../../package/request';
import { checkPlan, supportOf } from '../data/scene-list-state';
import type { SettingsNotice, SettingsStore } from '../data/settings-store';
import { adapterContext, engineContext, settingsContext } from '../contexts';
import { vidletEvent } from '../events';
import { controls, tokens } from './theme';
import { Watch } from './watch';
import './scene-list';

const SAMPLER_LABELS: Record<SamplerName, string> = {
  euler: 'Euler (fast)',
  heun: 'Heun (2× model calls, smoother)',
  'euler-ancestral': 'Euler ancestral (more variety)',
  'x0-renoise': 'x0 + re-noise (few-step distilled models)',
  unipc: 'UniPC (2nd order, Wan\'s own sampler)',
};

/** Wait this long after the last keystroke before asking the tokenizer about the prompt. */
const ANALYZE_DELAY_MS = 350;

@customElement('vidlet-prompt-form')
export class PromptForm extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @consume({ context: settingsContext }) settingsStore!: SettingsStore;
  @consume({ context: adapterContext }) library?: AdapterLibrary;

  @state() private problems: SettingsProblem[] = [];
  @state() private analysis?: PromptAnalysis;
  #watch = new Watch(this);
  #analyzeTimer?: ReturnType<typeof setTimeout>;
  #analyzedPrompt?: string;

  override render() {
    const s = this.#watch.get(this.settingsStore.settings);
    const run = this.#watch.get(this.session.run);
    const model = this.#watch.get(this.session.model);
    const notice = this.#watch.get(this.settingsStore.notice);
    const info = model.kind === 'ready' ? model.info : undefined;
    const hasMotion = info ? info.hasMotion : true;
    const hasContrast = info ? info.hasContrast : true;
    // A distilled model with an explicit sigma list takes one step count: shown, locked, with why.
    const steps = stepControl(s, info);
    // With a scene list the scenes are the prompt (#10): the textarea gives way to the rows, and an
    // invalid plan disables Generate with the reason.
    const planned = Boolean(s.scenes?.length);
    const blocked = planned ? checkPlan(s.scenes!, supportOf(info)).blockedBecause : undefined;
    this.#scheduleAnalysis(s.prompt, model.kind === 'ready');

    return html`
      <form @submit=${this.#submit} @keydown=${this.#keydown} novalidate>
        ${this.#promptField(s, planned)}
        ${this.#negativeField(s)}
        ${this.#basicRow(s, steps)}
        ${this.#sizeField(s, info)}
        ${steps.note ? html`<p id="steps-note" class="muted steps-note">${steps.note}</p>` : nothing}
        ${this.#advanced(s, hasMotion, hasContrast)}
        ${this.#messages(notice)}
        ${this.#actions(run, blocked)}
      </form>
    `;
  }

  /** The prompt, or the scene list when the settings hold one (the label says which). */
  #promptField(s: GenerationSettings, planned: boolean) {
    return html`
      <div class="field">
        <label for="prompt">${planned ? 'Scenes' : 'Prompt'}</label>
        <textarea
          ?hidden=${planned}
          id="prompt"
          name="prompt"
          rows="4"
          placeholder="e.g. a red ball bouncing on a blue background, camera pans left"
          .value=${s.prompt}
          @input=${(e: Event) => this.#set({ prompt: (e.target as HTMLTextAreaElement).value })}
          aria-describedby="prompt-hint"
          aria-invalid=${this.#problem('prompt') ? 'true' : 'false'}
        ></textarea>
        <div id="prompt-hint">${this.#promptHint()}</div>
        <vidlet-scene-list></vidlet-scene-list>
      </div>
    `;
  }

  #negativeField(s: GenerationSettings) {
    return html`
      <div class="field">
        <label for="negative">Negative prompt <span class="optional">optional</span></label>
        <input
          id="negative"
          name="negativePrompt"
          placeholder="what to avoid"
          .value=${s.negativePrompt ?? ''}
          @input=${(e: Event) => this.#set({ negativePrompt: (e.target as HTMLInputElement).value })}
        />
      </div>
    `;
  }

  /** Seed (with Random), steps (locked with a note for a fixed sigma list) and guidance. */
  #basicRow(s: GenerationSettings, steps: ReturnType<typeof stepControl>) {
    return html`
      <div class="row">
        <div class="field">
          <label for="seed">Seed</label>
          <div class="seed">
            <input
              id="seed"
              name="seed"
              type="number"
              min=${SEED.min}
              max=${SEED.max}
              step="1"
              .value=${String(s.seed)}
              @change=${(e: Event) => this.#set({ seed: Number((e.target as HTMLInputElement).value) })}
            />
            <button type="button" @click=${() => this.settingsStore.randomizeSeed()} title="Pick a random seed">Random</button>
          </div>
        </div>
        <div class="field narrow">
          <label for="steps">Steps</label>
          <input
            id="steps"
            name="steps"
            type="number"
            min=${STEPS.min}
            max=${STEPS.max}
            .value=${String(steps.value)}
            ?disabled=${steps.fixed}
            title=${steps.note ?? nothing}
            aria-describedby=${steps.fixed ? 'steps-note' : nothing}
            @change=${(e: Event) => this.#set({ steps: Number((e.target as HTMLInputElement).value) })}
          />
        </div>
        <div class="field narrow">
          <label for="guidance">Guidance</label>
          <input
            id="guidance"
            name="guidance"
            title="Classifier-free guidance scale w: how closely the clip follows the prompt. 1 turns it off (and saves a pass per step)."
            type="number"
            min=${GUIDANCE.min}
            max=${GUIDANCE.max}
            step="0.5"
            .value=${String(s.guidance)}
            @change=${(e: Event) => this.#set({ guidance: Number((e.target as HTMLInputElement).value) })}
          />
        </div>
      </div>
    `;
  }

  /**
   * The clip size: the loaded model's presets (manifest "presets", src/package/presets.ts), with the
   * one a run would make selected (presetFor: the model's default when the form holds none of its
   * own, or the largest this device can make when the default cannot). A preset whose attention does
   * not fit this device at the form's guidance passes is disabled with the reason as its title
   * (src/package/attention-fit.ts, the engine's words); a chosen one that does not fit (kept from
   * before, or the guidance changed since) says why under the selector, and Generate refuses it.
   * No selector for a model of one size: only, when that size does not fit, why.
   */
  #sizeField(s: GenerationSettings, info: ModelInfo | undefined) {
    if (!info) return nothing;
    const problem = presetProblem(s, info);
    if (!info.presets) return problem ? html`<p id="preset-problem" class="error-text">${problem}.</p>` : nothing;
    const chosen = presetFor(s, info);
    const passes = guidancePasses(s, info);
    return html`
      <div class="field">
        <label for="preset">Size and length</label>
        <select
          id="preset"
          name="preset"
          .value=${chosen ?? ''}
          ?disabled=${info.presets.length < 2}
          aria-invalid=${problem ? 'true' : 'false'}
          aria-describedby=${problem ? 'preset-problem' : nothing}
          @change=${(e: Event) => this.#set({ preset: (e.target as HTMLSelectElement).value })}
        >
          ${info.presets.map((p) => {
            const tooLarge = attentionProblem(p, passes, info.bufferLimits);
            const scores = p.attentionScoresBytes === undefined ? undefined : `one attention step holds ${formatBytes(attentionBytes(p.attentionScoresBytes, passes))} of scores`;
            return html`<option value=${p.name} ?selected=${p.name === chosen} ?disabled=${tooLarge !== undefined} title=${tooLarge ?? scores ?? nothing}>
              ${describePreset(p)}${p.name === info.defaultPreset ? ' (default)' : ''}${tooLarge ? ' (too large for this device)' : ''}
            </option>`;
          })}
        </select>
        ${problem ? html`<p id="preset-problem" class="error-text">${problem}.</p>` : nothing}
      </div>
    `;
  }

  /**
   * Inner-Guidance (disabled for a model without a motion branch), shape emphasis (disabled for a
   * package that names no object nouns) and the sampler.
   */
  #advanced(s: GenerationSettings, hasMotion: boolean, hasContrast: boolean) {
    return html`
      <details>
        <summary>Advanced</summary>
        <div class="row">
          <div class="field">
            <label for="inner">Inner-Guidance (motion)</label>
            <input
              id="inner"
              name="innerGuidance"
              type="number"
              min=${INNER_GUIDANCE.min}
              max=${INNER_GUIDANCE.max}
              step="0.5"
              .value=${String(s.innerGuidance)}
              ?disabled=${!hasMotion}
              @change=${(e: Event) => this.#set({ innerGuidance: Number((e.target as HTMLInputElement).value) })}
            />
            <span class="muted"
              >${hasMotion
                ? 'Pushes towards coherent motion (VideoJAM w2, used with w1 = Guidance − 1). 0 turns it off and saves a third of the time.'
                : 'This model has no motion branch.'}</span
            >
          </div>
          <div class="field">
            <label for="contrast">Shape emphasis</label>
            <input
              id="contrast"
              name="contrast"
              type="number"
              min=${CONTRAST.min}
              max=${CONTRAST.max}
              step="0.5"
              .value=${String(s.contrast ?? 0)}
              ?disabled=${!hasContrast}
              @change=${(e: Event) => this.#set({ contrast: Number((e.target as HTMLInputElement).value) })}
            />
            <span class="muted"
              >${hasContrast
                ? 'Pushes towards the shape the prompt names (heart, star, …) by contrast with a plain "shape" (w3). 0 turns it off; otherwise a prompt that names a shape takes one more pass per step.'
                : 'This model names no shapes to emphasise.'}</span
            >
          </div>
          <div class="field">
            <label for="sampler">Sampler</label>
            <select
              id="sampler"
              name="sampler"
              .value=${s.sampler}
              @change=${(e: Event) => this.#set({ sampler: (e.target as HTMLSelectElement).value as GenerationSettings['sampler'] })}
            >
              ${SAMPLER_NAMES.map((name) => html`<option value=${name} ?selected=${name === s.sampler}>${SAMPLER_LABELS[name]}</option>`)}
            </select>
          </div>
        </div>
      </details>
    `;
  }

  /** The settings' problems after a refused Generate, and the settings store's notice. */
  #messages(notice: SettingsNotice | undefined) {
    return html`
      ${this.problems.length
        ? html`<ul class="problems" role="alert">
            ${this.problems.map((p) => html`<li>${p.message}</li>`)}
          </ul>`
        : nothing}
      ${notice ? html`<p class="notice ${notice.kind}" role="status">${notice.text}</p>` : nothing}
    `;
  }

  /** Generate (disabled with the reason while the scene plan is blocked), or Cancel during a run. */
  #actions(run: RunState, blocked: string | undefined) {
    const active = isActive(run);
    return html`
      <div class="actions">
        ${active
          ? html`<button type="button" class="cancel" @click=${this.#cancel} ?disabled=${run.kind === 'cancelling'}>
              ${run.kind === 'cancelling' ? 'Cancelling…' : 'Cancel'}
            </button>`
          : html`<button type="submit" class="primary generate" ?disabled=${blocked !== undefined} aria-describedby="blocked">Generate</button>`}
        ${blocked && !active ? html`<span id="blocked" class="error-text blocked">${blocked}</span>` : nothing}
        <span class="muted shortcut">${navigator.platform.includes('Mac') ? '⌘' : 'Ctrl'} + Enter</span>
      </div>
    `;
  }

  #promptHint() {
    const lib = this.library ? this.#watch.get(this.library.state) : { shipped: [], added: [] };
    const infos = [...lib.shipped, ...lib.added.map((a) => a.info)];
    const { unlearned: words, carried } = splitUnknownWords(
      this.analysis?.unknownWords ?? [],
      this.settingsStore.settings.value.adapters ?? [],
      infos,
    );
    const parts = [];
    if (words.length > 0) {
      parts.push(html`<p class="unknown" role="status">
        The model has not learned ${words.length === 1 ? 'this word' : 'these words'}:
        ${words.map((w) => html`<mark>${w}</mark> `)}— ${words.length === 1 ? 'it' : 'they'} will have little effect.
      </p>`);
    }
    if (carried.length > 0) {
      parts.push(html`<p class="carried muted" role="status">
        ${carried.map((c, i) => html`${i ? ', ' : ''}<mark>${c.word}</mark> (adapter ${c.adapter})`)}:
        unknown to the base model, carried by the enabled adapter.
      </p>`);
    }
    const colours = this.analysis?.colourNames ?? [];
    if (colours.length > 0) {
      parts.push(html`<p class="colours muted" role="status">
        read as: ${colours.map((c, i) => html`${i ? ', ' : ''}<mark>${c.written}</mark> → ${c.colour}`)}
      </p>`);
    }
    if (this.analysis && (this.settingsStore.settings.value.contrast ?? 0) > 0) {
      const reading = this.analysis.contrastReading;
      parts.push(
        reading === null
          ? html`<p class="unknown" role="status">Shape emphasis does nothing for this prompt: it names no shape the model knows (heart, star, …).</p>`
          : html`<p class="contrast muted" role="status">Shape emphasis contrasts it with: <mark>${reading}</mark></p>`,
      );
    }
    if (this.analysis?.truncated) parts.push(html`<p class="unknown">The prompt is longer than the model reads; the end is cut off.</p>`);
    const problem = this.#problem('prompt');
    if (problem) parts.push(html`<p class="error-text">${problem.message}</p>`);
    return parts;
  }

  #modelInfo(): ModelInfo | undefined {
    const model = this.session.model.value;
    return model.kind === 'ready' ? model.info : undefined;
  }

  #problem(field: keyof GenerationSettings): SettingsProblem | undefined {
    return this.problems.find((p) => p.field === field);
  }

  #set(change: Partial<GenerationSettings>) {
    this.settingsStore.patch(change);
    this.settingsStore.notice.set(undefined);
    if (this.problems.length) this.problems = validateSettings(this.settingsStore.settings.value, this.#modelInfo());
  }

  #scheduleAnalysis(prompt: string, ready: boolean) {
    if (!ready || prompt === this.#analyzedPrompt) return;
    clearTimeout(this.#analyzeTimer);
    this.#analyzeTimer = setTimeout(async () => {
      this.#analyzedPrompt = prompt;
      try {
        this.analysis = await this.session.analyzePrompt(prompt);
      } catch {
        this.analysis = undefined; // a hint only; the generation reports real errors
      }
      // The pause before Generate: its text encoding is done now, not after the click.
      void this.session.prepareText(this.settingsStore.settings.value);
    }, ANALYZE_DELAY_MS);
  }

  #keydown(e: KeyboardEvent) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!isActive(this.session.run.value)) this.#submit(e);
    }
  }

  #submit(e: Event) {
    e.preventDefault();
    const s = this.settingsStore.settings.value;
    const model = this.session.model.value;
    if (s.scenes?.length && !checkPlan(s.scenes, supportOf(model.kind === 'ready' ? model.info : undefined)).canGenerate) return; // the reason is shown by Generate
    this.problems = validateSettings(s, model.kind === 'ready' ? model.info : undefined);
    if (this.problems.length === 0) this.dispatchEvent(vidletEvent('vidlet-generate', undefined));
  }

  #cancel() {
    this.dispatchEvent(vidletEvent('vidlet-cancel', undefined));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#analyzeTimer);
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: block;
      }
      textarea[hidden] {
        display: none;
      }
      form {
        display: grid;
        gap: 16px;
      }
      .field {
        display: grid;
        gap: 6px;
        min-width: 0;
      }
      .row {
        display: grid;
        grid-template-columns: 1.6fr 1fr 1fr;
        gap: 12px;
      }
      details .row {
        grid-template-columns: 1fr 1fr;
        margin-top: 12px;
        align-items: start;
      }
      .seed {
        display: flex;
        gap: 6px;
      }
      .seed button {
        padding-inline: 10px;
        flex: none;
      }
      textarea {
        font-size: 15px;
        min-height: 96px;
      }
      .optional {
        font-weight: 400;
        color: var(--ink-3);
      }
      summary {
        cursor: pointer;
        font-size: 13px;
        font-weight: 600;
        color: var(--ink-2);
        user-select: none;
      }
      details {
        border-top: 1px solid var(--line);
        padding-top: 12px;
      }
      .unknown {
        margin: 0;
        font-size: 13px;
        color: #8a5a00;
        background: #fff6e0;
        border-radius: 8px;
        padding: 6px 10px;
      }
      .colours,
      .contrast {
        margin: 0;
        padding: 0 10px;
      }
      mark {
        background: #ffe2a3;
        border-radius: 4px;
        padding: 0 4px;
      }
      .error-text,
      .problems {
        color: var(--danger);
        font-size: 13px;
        margin: 0;
      }
      .problems {
        padding-left: 18px;
      }
      .notice {
        margin: 0;
        font-size: 13px;
        padding: 8px 10px;
        border-radius: 8px;
        background: var(--accent-soft);
        color: var(--accent-strong);
      }
      .notice.error {
        background: var(--danger-soft);
        color: var(--danger);
      }
      .actions {
        display: flex;
        align-items: center;
        gap: 12px;
      }
      .actions button {
        flex: 1;
        padding: 12px;
        font-size: 15px;
      }
      .shortcut {
        flex: none;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-prompt-form': PromptForm;
  }
}
