/**
 * "Compare takes": N takes (2–4) of the form's prompt from seeds seed, seed + 1, … (TakeBatch),
 * with the batch's progress and Cancel; then the takes side by side on one shared clock
 * (SyncClock: play, pause, scrub), their reward scores when the model has a reward model (with a
 * taste column, and best of N by taste, while the person's taste head is on and fits this model),
 * the pair to vote on (when N > 2), the vote bar and Save, which stores the vote in the VoteStore
 * with both takes' reward features when they were scored (the taste head is fitted on those).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { RANK_BY, isRankBy, type RankBy, type TakeScore } from '../../package/reward';
import { drawFrame } from '../data/frames';
import type { EngineSession } from '../data/engine-session';
import type { GenerationSettings } from '../data/generation-settings';
import type { HistoryEntry } from '../data/history-store';
import { SyncClock, frameAt } from '../data/sync-clock';
import { TAKES, TakeBatch, batchProgress } from '../data/take-batch';
import { activeTaste } from '../data/taste-state';
import type { TasteStore } from '../data/taste-store';
import { bestColumn, bestLabel, rankByLabel, scoreTable, type ScoreColumn } from '../data/take-scores';
import { manifestHash, takeVoteRecord } from '../data/take-vote';
import { EMPTY_VOTE, isComplete, recordOutcomes, type VoteKeysState } from '../data/vote-keys';
import type { VoteStore } from '../data/vote-store';
import { isVariant } from '../../package/variants';
import './vote-bar';
import { controls, tokens } from './theme';
import { Watch } from './watch';

/** `modelHash`: the sha256 of the manifest of the model that scored the takes (undefined when it could not be read); the taste head applies only to its own model. */
type Scores = { kind: 'none' } | { kind: 'pending' } | { kind: 'scored'; scores: TakeScore[]; modelHash?: string } | { kind: 'error'; message: string };

@customElement('vidlet-compare-takes')
export class CompareTakes extends LitElement {
  @property({ attribute: false }) session!: EngineSession;
  @property({ attribute: false }) votes!: VoteStore;
  @property({ attribute: false }) taste!: TasteStore;
  /** The form's settings when the batch starts. */
  @property({ attribute: false }) settings!: () => GenerationSettings;

  @state() private n = 2;
  @state() private takes: HistoryEntry[] = [];
  @state() private pair: [number, number] = [0, 1];
  @state() private vote: VoteKeysState = EMPTY_VOTE;
  @state() private scores: Scores = { kind: 'none' };
  @state() private sortBy: ScoreColumn = 'overall';
  @state() private bestBy: RankBy = 'overall';
  @state() private saved?: string;
  @state() private problem?: string;
  #batch?: TakeBatch;
  #clock?: SyncClock;
  #frame = 0;
  #watch = new Watch(this);

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.#frame);
  }

  get #batchOf(): TakeBatch {
    this.#batch ??= new TakeBatch(this.session);
    return this.#batch;
  }

  async #start() {
    this.problem = this.saved = undefined;
    this.takes = [];
    this.vote = EMPTY_VOTE;
    this.pair = [0, 1];
    this.scores = { kind: 'none' };
    const takes = await this.#batchOf.start(this.settings(), this.n);
    this.takes = takes;
    if (takes.length >= 2) {
      const fps = takes[0]!.fps > 0 ? takes[0]!.fps : 8;
      this.#clock = new SyncClock(takes[0]!.video.frames / fps);
      this.#clock.play();
      this.#tick();
      void this.#score(takes);
    }
  }

  /** Scores only when the model says it can: a model without a reward model gets no numbers at all. */
  async #score(takes: HistoryEntry[]) {
    const model = this.session.model.value;
    const score = this.session.engine.scoreTakes?.bind(this.session.engine);
    if (model.kind !== 'ready' || !model.info.reward || !score) {
      this.scores = { kind: 'none' };
      return;
    }
    this.scores = { kind: 'pending' };
    try {
      const scores = await score(takes.map((t) => t.video), takes[0]!.settings.prompt);
      let modelHash: string | undefined;
      try {
        modelHash = await manifestHash(this.session.source.base);
      } catch {
        modelHash = undefined; // the scores stand; only the taste head, which needs the model's identity, is left out
      }
      this.scores = { kind: 'scored', scores, modelHash };
      void this.session.keepScores(takes, scores, { name: model.info.name, sha256: modelHash });
    } catch (error) {
      this.scores = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Draws every take's frame for the shared time, once per animation frame. */
  #tick = () => {
    const clock = this.#clock;
    if (!clock) return;
    const canvases = this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-take]');
    for (const canvas of canvases) {
      const take = this.takes[Number(canvas.dataset.take)];
      if (take) drawFrame(canvas, take.video, frameAt(clock.time(), take.fps, take.video.frames));
    }
    const scrub = this.renderRoot.querySelector<HTMLInputElement>('input.scrub');
    // Not while the user drags it.
    if (scrub && (this.renderRoot as ShadowRoot).activeElement !== scrub) scrub.value = String(clock.time());
    this.#frame = requestAnimationFrame(this.#tick);
  };

  async #save() {
    this.problem = this.saved = undefined;
    const [a, b] = this.pair.map((i) => this.takes[i]!) as [HistoryEntry, HistoryEntry];
    try {
      const model = this.session.model.value;
      if (model.kind !== 'ready') throw new Error('The model is not loaded, so the vote cannot say which model made the takes.');
      if (!isVariant(model.info.variant)) throw new Error(`Unknown variant ${model.info.variant}.`);
      const scored = this.scores.kind === 'scored' ? this.scores.scores : undefined;
      const record = takeVoteRecord({
        id: crypto.randomUUID(),
        createdAt: Date.now(),
        a,
        b,
        model: { name: model.info.name, hash: await manifestHash(this.session.source.base), variant: model.info.variant },
        outcomes: recordOutcomes(this.vote),
        ...(scored ? { features: { a: scored[this.pair[0]]!.features, b: scored[this.pair[1]]!.features } } : {}),
      });
      await this.votes.add(record);
      this.saved = `Vote saved (${this.pair[0] + 1} vs ${this.pair[1] + 1}).`;
      this.vote = EMPTY_VOTE;
      this.dispatchEvent(new CustomEvent('vidlet-vote-saved', { bubbles: true, composed: true }));
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  #setBestBy(value: string) {
    if (isRankBy(value)) this.bestBy = value;
  }

  #setPair(side: 0 | 1, index: number) {
    const pair: [number, number] = [...this.pair];
    pair[side] = index;
    // The other side moves off a take chosen twice: a take against itself says nothing.
    if (pair[0] === pair[1]) pair[1 - side] = this.pair[side];
    this.pair = pair;
    this.vote = EMPTY_VOTE;
  }

  override render() {
    const batch = this.#watch.get(this.#batchOf.state);
    const running = batch.kind === 'running';
    return html`
      <div class="controls">
        <label>Compare
          <select aria-label="Takes to compare" .value=${String(this.n)} ?disabled=${running} @change=${(e: Event) => (this.n = Number((e.target as HTMLSelectElement).value))}>
            ${[...Array(TAKES.max - TAKES.min + 1)].map((_, i) => html`<option value=${TAKES.min + i} ?selected=${this.n === TAKES.min + i}>${TAKES.min + i}</option>`)}
          </select> takes</label>
        <label>best by
          <select aria-label="Best of N by" @change=${(e: Event) => this.#setBestBy((e.target as HTMLSelectElement).value)}>
            ${RANK_BY.map((by) => html`<option value=${by} ?selected=${this.bestBy === by}>${rankByLabel(by)}</option>`)}
          </select></label>
        ${running
          ? html`<button class="ghost" @click=${() => void this.#batchOf.cancel()}>Cancel</button>`
          : html`<button class="compare-takes" @click=${() => void this.#start()}>Compare takes</button>`}
        <span class="progress" role="status">${batchProgress(batch)}</span>
      </div>
      ${this.takes.length >= 2 ? this.#takesView() : nothing}
    `;
  }

  #takesView() {
    const clock = this.#clock;
    return html`
      <div class="grid" style="--n:${this.takes.length}">
        ${this.takes.map(
          (t, i) => html`<figure class=${this.pair.includes(i) ? 'in-pair' : ''}>
            <canvas data-take=${i} width=${t.video.width} height=${t.video.height}></canvas>
            <figcaption>${this.#label(i)} · seed ${t.settings.seed}${this.#bestMark(i)}</figcaption>
          </figure>`,
        )}
      </div>
      <div class="controls">
        <button class="ghost play" @click=${() => (clock?.toggle(), this.requestUpdate())}>${clock?.playing ? 'Pause' : 'Play'}</button>
        <input class="scrub" type="range" min="0" max=${clock?.duration ?? 1} step="0.01" aria-label="Time in every take"
          @input=${(e: Event) => clock?.seek(Number((e.target as HTMLInputElement).value))} />
      </div>
      ${this.#scoresView()}
      ${this.takes.length > 2
        ? html`<div class="controls">Vote on
            ${([0, 1] as const).map(
              (side) => html`<select aria-label="Take ${side === 0 ? 'A' : 'B'}" @change=${(e: Event) => this.#setPair(side, Number((e.target as HTMLSelectElement).value))}>
                ${this.takes.map((_, i) => html`<option value=${i} ?selected=${this.pair[side] === i}>take ${i + 1}</option>`)}
              </select>${side === 0 ? ' against ' : ''}`,
            )}</div>`
        : nothing}
      <vidlet-vote-bar .state=${this.vote} @vote-change=${(e: CustomEvent<VoteKeysState>) => (this.vote = e.detail)}></vidlet-vote-bar>
      <div class="controls">
        <button class="save-vote" ?disabled=${!isComplete(this.vote)} @click=${() => void this.#save()}>Save vote</button>
        ${this.saved ? html`<span class="ok" role="status">${this.saved}</span>` : nothing}
        ${this.problem ? html`<span class="problem" role="alert">${this.problem}</span>` : nothing}
      </div>
    `;
  }

  #label(i: number): string {
    const side = this.pair[0] === i ? 'A: ' : this.pair[1] === i ? 'B: ' : '';
    return `${side}take ${i + 1}`;
  }

  /** The taste head's weights for these scores, or why it does not rank them; undefined when it is off or not fitted. */
  #taste(s: Extract<Scores, { kind: 'scored' }>) {
    return activeTaste(this.#watch.get(this.taste.state), s.modelHash, s.scores[0]?.features.length ?? 0);
  }

  #bestMark(i: number) {
    if (this.scores.kind !== 'scored') return nothing;
    const taste = this.#taste(this.scores);
    const weights = taste && 'weights' in taste ? taste.weights : undefined;
    const { best } = scoreTable(this.takes.map((t) => t.settings.seed), this.scores.scores, 'overall', weights, this.bestBy);
    return best === i ? html` <strong class="best">${bestLabel(this.takes.length, bestColumn(this.bestBy, weights !== undefined))}</strong>` : nothing;
  }

  #scoresView() {
    const s = this.scores;
    if (s.kind === 'none') return html`<p class="muted no-reward">This model has no reward model, so the takes are not scored.</p>`;
    if (s.kind === 'pending') return html`<p class="muted">Scoring the takes…</p>`;
    if (s.kind === 'error') return html`<p class="problem" role="alert">The takes could not be scored: ${s.message}</p>`;
    const taste = this.#taste(s);
    const weights = taste && 'weights' in taste ? taste.weights : undefined;
    // A taste column chosen earlier falls back to overall while the head is off.
    const sortBy = this.sortBy === 'taste' && !weights ? 'overall' : this.sortBy;
    const { rows, best } = scoreTable(this.takes.map((t) => t.settings.seed), s.scores, sortBy, weights, this.bestBy);
    const head = (by: ScoreColumn, label: string) => html`<th><button class="link ${sortBy === by ? 'on' : ''}" @click=${() => (this.sortBy = by)}>${label}</button></th>`;
    return html`<table class="scores">
        <tr><th>Take</th>${head('vq', 'VQ')}${head('mq', 'MQ')}${head('ta', 'TA')}${head('overall', 'Overall')}${weights ? head('taste', 'Taste') : nothing}</tr>
        ${rows.map(
          (r) => html`<tr class=${r.index === best ? 'best' : ''}><td>take ${r.index + 1}</td>${[r.score.VQ, r.score.MQ, r.score.TA, r.score.overall, ...(r.taste !== undefined ? [r.taste] : [])].map(
            (v) => html`<td>${v.toFixed(2)}</td>`,
          )}</tr>`,
        )}
      </table>
      ${taste && 'why' in taste ? html`<p class="muted taste-why">${taste.why}</p>` : nothing}`;
  }

  static override styles = [
    tokens,
    controls,
    css`
      :host {
        display: grid;
        gap: 12px;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        font-size: 13px;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(var(--n), 1fr);
        gap: 10px;
      }
      figure {
        margin: 0;
        border: 2px solid transparent;
        border-radius: 10px;
      }
      figure.in-pair {
        border-color: var(--accent);
      }
      canvas {
        width: 100%;
        image-rendering: pixelated;
        border-radius: 8px;
      }
      figcaption {
        font-size: 12px;
      }
      .scrub {
        flex: 1;
      }
      table.scores {
        font-size: 13px;
        border-collapse: collapse;
      }
      .scores td,
      .scores th {
        padding: 3px 10px 3px 0;
        text-align: left;
      }
      tr.best,
      .best {
        color: var(--ok);
        font-weight: 600;
      }
      .problem {
        color: var(--danger);
      }
      button.on {
        text-decoration: underline;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'vidlet-compare-takes': CompareTakes;
  }
}
