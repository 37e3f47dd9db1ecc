/**
 * Runs a component written as parts (src/package/parts.ts; docs/model-package.md "Parts"): each
 * part's session is made from its own files, run, and released before the next part's is made,
 * also when something fails, so at most one part is ever in memory. The wiring is by tensor name:
 * part 0 is fed the component's inputs under the manifest's names; every later part gets whatever
 * it declares among those and the previous part's outputs; the last part's outputs are read by the
 * manifest's output roles, with the checks and messages of a one-graph session (sessions.ts).
 * Given a KeptParts (LoadOptions.keepTextEncoder, parts-residency.ts), each part's session is kept
 * after its first run instead, and reused by every later call; a failed call releases them all, so
 * whatever failed (a lost device, a backend that cannot run a part) leaves no stale session behind.
 */
import type { PackageFile } from '../store/types';
import { ModelFormatError } from './errors';
import { outputRoles, releaseSession, roleTensors, runSession, type FileBytes, type GraphOf, type OrtSession, type OrtTensor } from './sessions';

export interface PartsRun {
  graph: GraphOf;
  /** Each part's files, its graph first, in run order (splitParts). */
  parts: readonly (readonly PackageFile[])[];
  /** The roles the component is checked against: inputs its caller feeds, outputs it reads. */
  roles: { inputs: readonly string[]; outputs: readonly string[] };
  /** A part's file bytes, read (and verified by the store) just before its session is made. */
  read: (files: readonly PackageFile[]) => Promise<FileBytes[]>;
  /** A session from a part's files (sessions.ts openSession, with the load's options). */
  open: (files: FileBytes[]) => Promise<OrtSession>;
  /** Where the part sessions are kept between calls; absent: each is released after its run. */
  kept?: KeptParts;
}

/** The sessions of a component's parts kept between calls, by part index, until released. */
export class KeptParts {
  #sessions: (OrtSession | undefined)[] = [];

  /** How many part sessions are held now. */
  get count(): number {
    return this.#sessions.filter((s) => s !== undefined).length;
  }

  /** Part k's session, made by `open` on its first call and kept. */
  async session(k: number, open: () => Promise<OrtSession>): Promise<OrtSession> {
    const kept = this.#sessions[k];
    if (kept) return kept;
    const made = await open();
    this.#sessions[k] = made;
    return made;
  }

  /** Releases every kept session; the next call makes them again. */
  async release(): Promise<void> {
    const sessions = this.#sessions;
    this.#sessions = [];
    for (const s of sessions) if (s) await releaseSession(s);
  }
}

/** Role-named feeds in, role-named outputs out, as runComponent for one graph. */
export async function runParts(run: PartsRun, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
  const { graph, parts, roles } = run;
  const given: Record<string, OrtTensor> = {};
  for (const [role, tensor] of Object.entries(feeds)) {
    const name = graph.component.inputs[role];
    if (name !== undefined) given[name] = tensor;
  }
  const { kept } = run;
  const open = async (files: readonly PackageFile[]) => run.open(await run.read(files));
  let previous: Record<string, OrtTensor> = {};
  try {
    for (const [k, files] of parts.entries()) {
      const session = kept ? await kept.session(k, () => open(files)) : await open(files);
      try {
        if (k === 0) roleTensors(graph, 'inputs', roles.inputs, session.inputNames);
        // Checked before the last part runs, so a misnamed output costs no run.
        const outputs = k === parts.length - 1 ? roleTensors(graph, 'outputs', roles.outputs, session.outputNames) : null;
        previous = await runSession(graph.name, session, partFeeds(run, k, session, { ...given, ...previous }));
        if (outputs) return outputRoles(graph.name, outputs, previous);
      } finally {
        if (!kept) await releaseSession(session);
      }
    }
  } catch (e) {
    await kept?.release();
    throw e;
  }
  throw new ModelFormatError(`The ${graph.name} (${graph.variant}) has no parts: re-export the model package.`, { component: graph.name });
}

/** Part k's feeds: each input it declares, from `available`, or a ModelFormatError naming its graph file. */
function partFeeds({ graph, parts }: PartsRun, k: number, session: OrtSession, available: Record<string, OrtTensor>): Record<string, OrtTensor> {
  const missing = session.inputNames.filter((n) => available[n] === undefined);
  if (missing.length > 0) {
    const file = parts[k]![0]!.path;
    const from = k === 0 ? `the ${graph.name}'s inputs (manifest.${graph.field}.inputs)` : `the ${graph.name}'s inputs or part ${k}'s outputs`;
    throw new ModelFormatError(
      `Part ${k + 1} of ${parts.length} of the ${graph.name} (${file}, ${graph.variant}) takes ${missing.map((n) => `"${n}"`).join(', ')}, ` +
        `which ${from} do not give (${Object.keys(available).join(', ')}). Re-export the model package: each part takes only the component's inputs and the previous part's outputs.`,
      { component: graph.name, file, variant: graph.variant },
    );
  }
  return Object.fromEntries(session.inputNames.map((n) => [n, available[n]!]));
}
