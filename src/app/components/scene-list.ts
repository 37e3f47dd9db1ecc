/**
 * The scene list under the prompt (#10). With one prompt it offers the split the parser reads in
 * it ("Split into 2 scenes?" and the parser's sentence), or an empty list to start from; with a
 * plan it shows one vidlet-scene-row per scene, Add scene, Back to one prompt, the plan's
 * problems, where the cuts fall and the total frames with a rough memory/time figure.
 * All rules live in src/app/data/scene-list-state.ts; this element only shows them and applies
 * the rows' edits to the settings store.
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { MAX_SCENES, type ScenePlan } from '../../package/scenes';
import type { EngineSession } from '../data/engine-session';
import { formatBytes, formatDuration } from '../data/format-units';
import type { HistoryStore } from '../data/history-store';
import { estimatePlan, type LastRun } from '../data/plan-estimate';
import {
  addScene, checkPlan, defaultSceneFrames, joinScenes, moveScene, plannedCuts, plannedFrames, removeScene,
  setSceneFrames, setSceneText, splitOffer, supportOf,
} from '../data/scene-list-state';
import type { SettingsStore } from '../data/settings-store';
import { engineContext, historyContext, settingsContext } from '../contexts';
import type { SceneEdit, SceneRow } from './scene-row';
import { controls, tokens } from './theme';
import { Watch } from './watch';
import './scene-row';

@customElement('vidlet-scene-list')
export class SceneList extends LitElement {
  @consume({ context: engineContext }) session!: EngineSession;
  @consume({ context: settingsContext }) settingsStore!: SettingsStore;
  @consume({ context: historyContext }) history?: HistoryStore;
  /** The prompt whose split offer the user turned down: not offered again until it changes. */
  @state() private declined?: string;
  #watch = new Watch(this);

  override render() {
    const s = this.#watch.get(this.settingsStore.settings);
    const model = this.#watch.get(this.session.model);
    const info = model.kind === 'ready' ? model.info : undefined;
    const support = supportOf(info);
    if (!s.scenes?.length) {
      const offer = s.prompt === this.declined ? undefined : splitOffer(s.prompt, support);
      if (offer) {
        return html`<div class="offer" role="status">
          <p><strong>Split into ${offer.plan.length} scenes?</strong> <span class="muted">${offer.description}</span></p>
          <button type="button" class="split" @click=${() => this.#setPlan(offer.plan)}>Split into ${offer.plan.length} scenes</button>
          <button type="button" class="ghost keep" @click=${() => (this.declined = s.prompt)}>Keep one scene</button>
        </div>`;
      }
      return html`<button type="button" class="ghost plan" @click=${() => this.#setPlan([{ text: s.prompt.trim(), frames: defaultSceneFrames(support) }])}>
        Plan scenes…
      </button>`;
    }
    const plan = s.scenes;
    const check = checkPlan(plan, support);
    const bounds = support && support.maxScenes > 1 ? support : { minFrames: 8, maxFrames: 64, frameStep: 1 };
    const frames = plannedFrames(plan, support, info?.video.frames ?? 0);
    const cuts = plannedCuts(plan, support);
    const estimate = info
      ? estimatePlan({ frames, steps: s.steps, width: info.video.width, height: info.video.height, withMotion: info.hasMotion }, this.#lastRun(info.name, info.video.frames))
      : undefined;
    return html`
      <ol class="scenes" aria-label="Scenes" @scene-edit=${this.#onEdit}>
        ${plan.map(
          (scene, i) => html`<li>
            <vidlet-scene-row
              data-index=${i}
              .scene=${scene}
              .index=${i}
              .count=${plan.length}
              .problems=${check.forScene(i)}
              .minFrames=${bounds.minFrames}
              .maxFrames=${bounds.maxFrames}
              .frameStep=${bounds.frameStep}
            ></vidlet-scene-row>
          </li>`,
        )}
      </ol>
      ${check.general.length
        ? html`<ul class="general">${check.general.map((p) => html`<li class=${p.blocking ? 'error-text' : 'muted'}>${p.message}</li>`)}</ul>`
        : nothing}
      <div class="actions">
        <button type="button" class="add" ?disabled=${plan.length >= MAX_SCENES} title=${plan.length >= MAX_SCENES ? `At most ${MAX_SCENES} scenes per clip` : 'Add a scene at the end'}
          @click=${() => this.#setPlan(addScene(plan, support))}>Add scene</button>
        <button type="button" class="ghost single" title="Join the scenes into one prompt (nothing is lost)"
          @click=${this.#backToOnePrompt}>Back to one prompt</button>
      </div>
      <p class="summary muted" role="status">
        <span class="total">${frames ? `${frames} frames in all` : `${plan.length} scenes`}</span>${cuts.length ? html`, cuts at frame ${cuts.map((c) => c + 1).join(', ')}` : nothing}${estimate
          ? html` · frames take ${formatBytes(estimate.frameBytes)}${estimate.ms !== undefined ? html` · about ${formatDuration(estimate.ms)}` : nothing}
              <span class="basis">(${estimate.basis})</span>`
          : html` · load the model to see its memory and time`}
      </p>
    `;
  }

  /** The newest run of this model in the history, the base of the time estimate. */
  #lastRun(model: string, modelFrames: number): LastRun | undefined {
    const entries = this.history ? this.#watch.get(this.history.entries) : [];
    const last = entries.find((e) => e.model === model);
    if (!last) return undefined;
    // A summary keeps no frame count; a run's frames follow from its plan the way this one's do.
    const frames = plannedFrames(last.settings.scenes, supportOf(this.session.model.value.kind === 'ready' ? this.session.model.value.info : undefined), modelFrames);
    return { totalMs: last.totalMs, frames, steps: last.settings.steps };
  }

  #onEdit(e: CustomEvent<SceneEdit>) {
    const row = e.target as SceneRow;
    const index = row.index;
    const plan = this.settingsStore.settings.value.scenes ?? [];
    const info = this.session.model.value.kind === 'ready' ? this.session.model.value.info : undefined;
    const edit = e.detail;
    if (edit.kind === 'text') this.#setPlan(setSceneText(plan, index, edit.text));
    else if (edit.kind === 'frames') {
      this.#setPlan(setSceneFrames(plan, index, edit.frames, supportOf(info)));
      row.requestUpdate(); // a snapped value equal to the old one would not re-render the input
    } else if (edit.kind === 'remove') {
      const next = removeScene(plan, index);
      if (next.length === 0) this.#backToOnePrompt();
      else this.#setPlan(next);
    } else {
      this.#setPlan(moveScene(plan, index, edit.by));
      void this.updateComplete.then(() => {
        const moved = this.renderRoot.querySelector<SceneRow>(`vidlet-scene-row[data-index="${index + edit.by}"]`);
        moved?.focusText();
      });
    }
  }

  /** The plan, with the prompt kept as the scenes joined so history and the heading read it. */
  #setPlan(plan: ScenePlan) {
    this.settingsStore.patch({ scenes: plan, prompt: joinScenes(plan) });
    this.settingsStore.notice.set(undefined);
  }

  #backToOnePrompt = () => {
    const s = this.settingsStore.settings.value;
    const prompt = joinScenes(s.scenes ?? []);
    this.declined = prompt; // the user just chose one prompt: do not offer the split right back
    this.settingsStore.patch({ scenes: undefined, prompt });
  };

  static override styles = [
    tokens,
    controls,
    css`
      :host { display: block; }
      .scenes { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
      .offer { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
      .offer p { margin: 0; flex-basis: 100%; }
      .actions { display: flex; gap: 8px; margin-top: 8px; }
      .general { margin: 6px 0 0; padding: 0; list-style: none; }
      .summary { margin: 6px 0 0; font-size: 0.9em; }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-scene-list': SceneList;
  }
}
