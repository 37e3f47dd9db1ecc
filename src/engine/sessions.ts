/**
 * onnxruntime sessions for the model's components: created from verified bytes (the first file
 * of a variant is the graph, the rest its external data), checked against the manifest's
 * role → tensor-name maps, and run with typed errors. A lost GPU device is recognised so the
 * pipeline can recreate the sessions and retry the step once (see engine.ts).
 */
import type * as OrtNs from 'onnxruntime-web';
import type { Component, ComponentName } from '../store/types';
import { DeviceLostError, InferenceError, ModelFormatError, ModelLoadError } from './errors';
import type { Backend, Variant } from '../package/variants';
import type { BackendInfo } from './types';

/** The onnxruntime module the engine is given ('onnxruntime-web', '/webgpu' or '/wasm'). */
export type Ort = typeof OrtNs;
/**
 * The onnxruntime module for the backend a load chose: the page's worker imports the bundle that
 * runs it (src/worker/ort-bundle.ts), not the largest one for every backend.
 */
export type OrtForBackend = (backend: Backend) => Promise<Ort>;
export type OrtSession = OrtNs.InferenceSession;
export type OrtTensor = OrtNs.Tensor;

export interface FileBytes {
  path: string;
  data: Uint8Array;
}

export interface ComponentSession {
  name: ComponentName;
  variant: Variant;
  session: OrtSession;
  /** role → ONNX tensor name (manifest), only the roles the graph actually has. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/**
 * Applies the wasm thread count to ort.env; must run before the first session is created (the
 * WebGPU EP also lives in the wasm module, so this applies to both backends).
 */
export function configureOrt(ort: Ort, threads: number): void {
  // Fixed once the wasm module is initialised; setting it explicitly keeps Node and the browser
  // on the same, reported count (BackendInfo.threads).
  if (threads > 0) ort.env.wasm.numThreads = threads;
  // The engine already runs off the main thread (worker); ORT's own proxy worker would only add copies.
  ort.env.wasm.proxy = false;
}

export async function createComponentSession(
  ort: Ort,
  name: ComponentName,
  variant: Variant,
  component: Component,
  files: FileBytes[],
  backend: BackendInfo,
  requiredInputs: string[],
  requiredOutputs: string[],
  extraOptions: OrtNs.InferenceSession.SessionOptions = {},
  /** Where the manifest lists this graph, for messages (the frame-by-frame VAE pair is not under components). */
  field = `components.${name}`,
): Promise<ComponentSession> {
  const graph = { name, variant, component, field };
  const session = await openSession(ort, graph, files, backend, extraOptions);
  const inputs = roleTensors(graph, 'inputs', requiredInputs, session.inputNames);
  const outputs = roleTensors(graph, 'outputs', requiredOutputs, session.outputNames);
  return { name, variant, session, inputs, outputs };
}

/** What messages say about the graph being made: its component, variant, manifest entry. */
export interface GraphOf {
  name: ComponentName;
  variant: Variant;
  component: Component;
  /** Where the manifest lists it: 'components.textEncoder', 'vaeDecoderFrames.next'. */
  field: string;
}

/**
 * An onnxruntime session from a graph and its external data (`files`, the graph first), with
 * onnxruntime's failures turned into typed errors naming the file; no role is checked here.
 */
export async function openSession(
  ort: Ort,
  { name, variant, field }: GraphOf,
  files: FileBytes[],
  backend: BackendInfo,
  extraOptions: OrtNs.InferenceSession.SessionOptions = {},
): Promise<OrtSession> {
  const [graph, ...external] = files;
  if (!graph) throw new ModelFormatError(`The ${name} (${variant}) lists no files: re-export the model package.`, { component: name });
  try {
    return await ort.InferenceSession.create(graph.data, {
      executionProviders: [backend.backend],
      graphOptimizationLevel: 'all',
      ...(external.length > 0 ? { externalData: external.map((f) => ({ path: besideGraph(graph.path, f.path), data: f.data })) } : {}),
      ...extraOptions,
    });
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (isDeviceLost(e)) throw new DeviceLostError(`The GPU device was lost while loading the ${name}: probably out of GPU memory. Close other GPU-heavy tabs and try again, or use the WebAssembly backend.`, { component: name });
    if (/external data/i.test(msg)) {
      const named = /external data file\W+([^"']+)/i.exec(msg)?.[1];
      throw new ModelFormatError(
        `Could not load the ${name} (${graph.path}, ${variant}): its graph keeps weights in the external data file ${named ? `"${named}"` : 'it names'}, ` +
          `which was not given under that name. List it in manifest.${field}.variants.${variant}.files after the graph, in the graph's folder` +
          (external.length > 0 ? ` (listed now: ${external.map((f) => f.path).join(', ')})` : '') + `. onnxruntime said: ${msg}`,
        { component: name, file: graph.path, variant },
      );
    }
    const format = /protobuf|parse|invalid model|opset|not implemented|unsupported|ModelProto/i.test(msg);
    const Err = format ? ModelFormatError : ModelLoadError;
    throw new Err(
      `Could not load the ${name} (${graph.path}, ${variant}) on ${backend.description}: ${msg}. ` +
        (format ? 'The file is not a graph this onnxruntime can run; re-export it or choose another variant.' : 'Try another variant or the WebAssembly backend.'),
      { component: name, file: graph.path, variant, backend: backend.backend },
    );
  }
}

/**
 * role → tensor name for `roles`: every one the manifest must map, with a name the graph has
 * (`names`, its inputs or outputs).
 */
export function roleTensors({ name, component, field }: GraphOf, kind: 'inputs' | 'outputs', roles: readonly string[], names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const role of roles) {
    const tensor = component[kind][role];
    if (tensor === undefined) {
      throw new ModelFormatError(`manifest.${field}.${kind}.${role} is missing: the engine needs the ${role} ${kind.slice(0, -1)}.`, { component: name, role });
    }
    if (!names.includes(tensor)) {
      throw new ModelFormatError(`The ${name} graph has no ${kind.slice(0, -1)} named "${tensor}" (manifest role ${role}); it has ${names.join(', ')}. Fix manifest.${field}.${kind}${role.startsWith('cache.') ? ` or manifest.vaeDecoderFrames.cache[${role.slice(6)}]` : ''}.`, { component: name, role, tensor });
    }
    out[role] = tensor;
  }
  return out;
}

/**
 * The name onnxruntime looks an external data file up by: a graph names it relative to its own
 * folder (ONNX `location`), while the manifest lists package paths, so a graph in a subfolder
 * ("vae/model.onnx" with "vae/model.onnx.data") would otherwise miss its data (measured on a real
 * graph in tests/integration/external-data.test.ts).
 */
export function besideGraph(graphPath: string, filePath: string): string {
  const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
  return folder && filePath.startsWith(folder) ? filePath.slice(folder.length) : filePath;
}

/** Runs a component with role-named feeds; returns role-named outputs. */
export async function runComponent(
  c: ComponentSession,
  feeds: Record<string, OrtTensor>,
): Promise<Record<string, OrtTensor>> {
  const named: Record<string, OrtTensor> = {};
  for (const [role, tensor] of Object.entries(feeds)) {
    const name = c.inputs[role];
    if (name !== undefined) named[name] = tensor;
  }
  return outputRoles(c.name, c.outputs, await runSession(c.name, c.session, named));
}

/** One session.run with tensor-named feeds, its failures as typed errors. */
export async function runSession(name: ComponentName, session: OrtSession, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
  try {
    return await session.run(feeds);
  } catch (e) {
    if (isDeviceLost(e)) throw new DeviceLostError(`The GPU device was lost while running the ${name}: probably out of GPU memory.`, { component: name });
    const msg = (e as Error)?.message ?? String(e);
    throw new InferenceError(`The ${name} failed to run: ${msg}. Try fewer steps, another variant or the WebAssembly backend.`, { component: name });
  }
}

/** A run's tensor-named outputs by role (`outputs`: role → tensor name). */
export function outputRoles(name: ComponentName, outputs: Record<string, string>, out: Record<string, OrtTensor>): Record<string, OrtTensor> {
  const byRole: Record<string, OrtTensor> = {};
  for (const [role, tensor] of Object.entries(outputs)) {
    const t = out[tensor];
    if (!t) throw new ModelFormatError(`The ${name} returned no "${tensor}" output (role ${role}).`, { component: name, role });
    byRole[role] = t;
  }
  return byRole;
}

/** Does this error mean the GPU device is gone (driver reset, out of memory, tab backgrounded too long)? */
export function isDeviceLost(e: unknown): boolean {
  if (e instanceof DeviceLostError) return true;
  const msg = `${(e as Error)?.name ?? ''} ${(e as Error)?.message ?? String(e)}`;
  return /device\s*(was\s*|is\s*|has been\s*)?lost|GPUDeviceLostInfo|DXGI_ERROR_DEVICE_(REMOVED|RESET)|VK_ERROR_DEVICE_LOST/i.test(msg);
}

export async function releaseSessions(sessions: Iterable<ComponentSession>): Promise<void> {
  for (const s of sessions) await releaseSession(s.session);
}

export async function releaseSession(session: OrtSession): Promise<void> {
  try {
    await session.release();
  } catch {
    // A session on a lost device may fail to release; it is dropped either way.
  }
}
