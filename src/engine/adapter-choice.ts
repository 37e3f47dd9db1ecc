/**
 * The adapters a GenerateRequest asks for (`adapters: [{name, strength?}]`, `blend`), put into
 * the loaded model's LoRA slots before the run. Shipped adapters (manifest.adapters) are read
 * through the model store on first use and kept; adapters the user added (VidletEngine.addAdapter,
 * e.g. dropped files) are kept by name. "No adapters" is exactly the base model, and no run
 * inherits another request's adapters (see apply). apply answers with the sha256 of each adapter
 * it put in the slots, so a run can say exactly which weights it used (a vote needs that to make
 * the take again, src/votes/vote-record.ts).
 */
import { applySlotPlan, clearAdapters, curveSchedule, loadAdapter, parseAdapterDescription, planSlots, type LoadedAdapter } from './adapters';
import type { AdapterDescription } from './adapters/description';
import { readShippedAdapter, readShippedBlender } from './adapters/shipped';
import type { StageBlender } from './adapters/stage-blender';
import { sha256Hex } from '../store/sha256';
import type { Manifest, ModelFileStore } from '../store/types';
import { InvalidRequestError } from './errors';
import type { LoraSlots } from './lora-slots';
import type { AdapterChoice, AdapterInfo, BlendMode, BlenderInfo } from './types';

export class AdapterShelf {
  private readonly loaded = new Map<string, LoadedAdapter>();
  /** sha256 of each added adapter's .safetensors; shipped ones have theirs in the manifest. */
  private readonly addedDigests = new Map<string, string>();
  private blender: StageBlender | undefined | null = null; // null: not read yet

  constructor(
    private readonly store: ModelFileStore,
    private readonly base: string,
    private readonly manifest: Manifest,
  ) {}

  /** Names the user can ask for: shipped ones and added ones. */
  names(): string[] {
    return [...new Set([...this.manifest.adapters.map((a) => a.name), ...this.loaded.keys()])];
  }

  /**
   * What the page lists: each shipped adapter's description (read through the store, so it is
   * cached for offline use) and the StageBlender table. A file that cannot be read does not fail
   * the model load: it comes back as `problem` / `blenderProblem`, and using it fails with the reason.
   */
  async describe(): Promise<{ adapters: AdapterInfo[]; blender?: BlenderInfo; blenderProblem?: string }> {
    const adapters: AdapterInfo[] = [];
    for (const entry of this.manifest.adapters) {
      try {
        if (!entry.description) throw new Error(`the manifest lists no description JSON for it`);
        const d = parseAdapterDescription(JSON.parse(await this.store.readText(this.base, entry.description)), entry.description);
        adapters.push(adapterInfo(d));
      } catch (e) {
        adapters.push({ name: entry.name, kind: entry.kind, problem: `Its description could not be read: ${(e as Error).message}` });
      }
    }
    if (!this.manifest.blender) return { adapters };
    try {
      if (this.blender === null) this.blender = await readShippedBlender(this.store, this.base, this.manifest);
      const t = this.blender!.table;
      return { adapters, blender: { identity: t.identity, motion: t.motion, c: t.c, groups: t.groups, timesteps: t.timesteps, alpha: t.alpha } };
    } catch (e) {
      return { adapters, blenderProblem: `The StageBlender table ${this.manifest.blender.path} could not be read: ${(e as Error).message}` };
    }
  }

  /** A model exported without LoRA slots (no `lora` section, as converted models are) takes no adapter. */
  private requireSlots(): void {
    if (this.manifest.lora.slots.length > 0) return;
    throw new InvalidRequestError(
      `${this.manifest.name} has no LoRA slots (its manifest has no "lora" section), so it takes no adapters: generate without them, or load a model exported with slots.`,
      { field: 'adapters' },
    );
  }

  /**
   * Validates an adapter against this model and keeps it under its description's name (without a
   * description: the file's), with the sha256 of its weights (it replaces a shipped adapter of
   * that name, digest included).
   */
  async add(weights: Uint8Array, description: unknown, source?: string): Promise<LoadedAdapter> {
    this.requireSlots();
    const a = loadAdapter({ weights, description, source }, { name: this.manifest.name, lora: this.manifest.lora });
    const digest = await sha256Hex(weights);
    this.loaded.set(a.description.name, a);
    this.addedDigests.set(a.description.name, digest);
    return a;
  }

  /**
   * The sha256 of the weights `name` stands for: an added adapter's as hashed when added, a shipped
   * one's from the manifest (the store refuses bytes that do not match it, so it is the one used).
   */
  private digest(name: string): string {
    const digest = this.addedDigests.get(name) ?? this.manifest.adapters.find((a) => a.name === name)?.sha256;
    // get() has already refused a name that is neither added nor shipped.
    if (digest === undefined) throw new Error(`No sha256 for adapter "${name}".`);
    return digest.toLowerCase();
  }

  private async get(name: string): Promise<LoadedAdapter> {
    const have = this.loaded.get(name);
    if (have) return have;
    if (!this.manifest.adapters.some((a) => a.name === name)) {
      const known = this.names();
      throw new InvalidRequestError(
        `There is no adapter "${name}" for ${this.manifest.name}: ${known.length ? `choose one of ${known.join(', ')}` : 'this model ships none'}, or add its .safetensors and .json first.`,
        { field: 'adapters', adapter: name },
      );
    }
    const a = await readShippedAdapter(this.store, this.base, this.manifest, name);
    this.loaded.set(name, a);
    return a;
  }

  /** True while the slots hold what a request's `adapters` put there. */
  private slotsFromRequest = false;

  /**
   * Fills the slots for one request and answers the sha256 of each adapter it used, by name (none:
   * `{}`). `adapters: []` empties them. A request without the field
   * empties slots that an earlier request filled (no run inherits another's adapters) but leaves
   * slots filled directly through VidletEngine.loraSlots (in-process use, docs/adapter-format.md).
   */
  async apply(slots: LoraSlots, choices: readonly AdapterChoice[] | undefined, blend: BlendMode = 'constant'): Promise<Record<string, string>> {
    if (choices === undefined) {
      if (this.slotsFromRequest) clearAdapters(slots);
      this.slotsFromRequest = false;
      return {};
    }
    if (choices.length === 0) {
      clearAdapters(slots);
      this.slotsFromRequest = false;
      return {};
    }
    this.requireSlots();
    const requests = [];
    for (const c of choices) requests.push({ adapter: await this.get(c.name), strength: c.strength });
    // Hand-set curves are checked before any slot changes, so a bad one leaves the slots as they were.
    const curves = choices.map((c) => {
      if (c.schedule === undefined) return undefined;
      try {
        return curveSchedule(c.schedule, this.manifest.lora.depth);
      } catch (e) {
        const why = (e as Error).message;
        const what = why.startsWith('Strength curve') ? why : `Strength curve: ${why}`;
        throw new InvalidRequestError(`Adapter "${c.name}": ${what} Fix the curve or turn it off.`, { field: 'adapters', adapter: c.name });
      }
    });
    let blender: StageBlender | undefined;
    if (blend === 'dualreal') {
      if (this.blender === null) this.blender = await readShippedBlender(this.store, this.base, this.manifest);
      blender = this.blender;
      if (!blender) {
        throw new InvalidRequestError(`${this.manifest.name} ships no StageBlender table, so DualReal blending is not available: use blend "constant".`, { field: 'blend' });
      }
    }
    const plan = planSlots(requests, slots.layout.slots, blend, blender);
    // planSlots keeps the request order: assignment i belongs to choice i. An explicit curve wins
    // over the blend mode's schedule for its adapter (also over the StageBlender's α / c − α).
    curves.forEach((curve, i) => {
      if (curve) plan.assignments[i] = { ...plan.assignments[i]!, schedule: curve };
    });
    applySlotPlan(slots, plan);
    this.slotsFromRequest = true;
    return Object.fromEntries(choices.map((c) => [c.name, this.digest(c.name)]));
  }
}

/** The description fields the page shows; `noDescription`: it was made from the file name. */
export function adapterInfo(d: AdapterDescription, noDescription = false): AdapterInfo {
  return {
    name: d.name,
    kind: d.kind,
    triggerWords: d.triggerWords.slice(),
    recommendedStrength: d.recommendedStrength,
    ...(d.displayName !== undefined ? { displayName: d.displayName } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(noDescription ? { noDescription: true as const } : {}),
  };
}
