/**
 * A damaged reward model (#9: "a corrupted reward model file gets a clear message and loses
 * nothing"), made from the shipped package's own reward_model.int8.onnx and run on real
 * onnxruntime-web (wasm, Node), along the two paths that read it:
 *
 * * the page's: EngineClient → MessageChannel (as to the worker) → EngineHost → VidletEngine on
 *   BrowserModelStore, the IndexedDB model cache (fake-indexeddb) in front of a local HTTP server.
 *   A server copy with flipped bytes fails its sha256 check; a copy damaged inside the cache is
 *   found when it is read and fetched again.
 * * the CLI's: VidletEngine on NodeFolderStore, and `vidlet generate --best-of` itself. A truncated
 *   file fails its size check, a flipped one its sha256; a truncated graph whose manifest was
 *   re-listed to match it (a broken re-export) reaches onnxruntime and is refused as a format error.
 *
 * Every case asserts the whole message the user reads, and that nothing else is lost: the model
 * stays loaded and makes the same clip, the other cached files stay, and scoring works again as
 * soon as the file is good, without a reload. (The page adds only the words "The takes could not
 * be scored:" in front, compare-takes.ts.)
 */
import 'fake-indexeddb/auto';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as Comlink from 'comlink';
import { createStore, get, set } from 'idb-keyval';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import { IntegrityError, ModelFormatError } from '../../src/engine/errors';
import type { Ort } from '../../src/engine/sessions';
import type { FramesRGBA, GenerateRequest } from '../../src/engine/types';
import { BrowserModelStore } from '../../src/store/browser-store';
import { ModelCache } from '../../src/store/cache';
import { SizeMismatchError } from '../../src/store/errors';
import { NodeFolderStore } from '../../src/store/node-store';
import type { PackageFile } from '../../src/store/types';
import { EngineClient } from '../../src/worker/engine-client';
import { EngineHost } from '../../src/worker/engine-host';
import { startRangeServer, type RangeServer } from '../unit/store/range-server';
import { available, SHIPPED_MODEL } from '../prerequisites';

const SHIPPED = 'public/models/vidlet-tiny';
const REWARD = 'reward_model.int8.onnx';
const TITLE = 'a corrupted reward model file';
const sha = (d: Uint8Array | Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');
/** The error `p` is refused with; a call that succeeds fails the test here. */
const refusal = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    (v) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(v).slice(0, 200)}`);
    },
    (e: unknown) => e as Error,
  );
const request: GenerateRequest = { prompt: 'a red circle moves left on a blue background', seed: 7, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };

const manifest = JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8'));
const listed: PackageFile = manifest.components.rewardModel.variants.int8.files[0];
const good = new Uint8Array(readFileSync(`${SHIPPED}/${REWARD}`));
/** Same size, other bytes: every 4096th byte inverted, so only the sha256 can tell. */
const flipped = good.map((b, i) => (i % 4096 === 100 ? b ^ 0xff : b));
/** Cut in the middle of the graph: the size already tells. */
const truncated = good.slice(0, good.length >> 1);

describe.runIf(available(SHIPPED_MODEL, TITLE))(`${TITLE}: the page's path (worker host, IndexedDB cache, HTTP)`, () => {
  const DB = 'vidlet-models-reward-corrupt';
  /** What the server answers instead of the shipped file, by request path. */
  const served = new Map<string, Uint8Array>();
  const files = new Proxy({} as Record<string, Uint8Array>, {
    get: (_t, path: string) => {
      if (served.has(path)) return served.get(path);
      const file = `${SHIPPED}/${path.replace(/^m\//, '')}`;
      return path.startsWith('m/') && existsSync(file) ? new Uint8Array(readFileSync(file)) : undefined;
    },
  });
  const warnings: string[] = [];
  const cache = new ModelCache({ dbName: DB, storage: null });
  const store = new BrowserModelStore({ cache, retries: 0, backoffBaseMs: 5, backoffMaxMs: 10, onWarning: (w) => warnings.push(w) });
  const host = new EngineHost(new VidletEngine(store, ortWeb as unknown as Ort), store.cache);
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(host, port2);
  const client = new EngineClient(Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker);
  let srv: RangeServer;
  let base: string;
  let take: FramesRGBA;
  let clip: string;
  let modelFiles: string[];
  let goodScores: number[];

  beforeAll(async () => {
    ortWeb.env.logLevel = 'error';
    srv = await startRangeServer(files);
    base = srv.url('m/');
    await client.loadModel({ base }, { numThreads: 1 });
    take = (await client.generate(request)).video;
    clip = sha(take.data);
    // The graphs the load stored (the reward model's is fetched only when scoring is first asked).
    modelFiles = [...new Set(srv.requests.map((r) => r.path).filter((p) => p.endsWith('.onnx')))];
  });
  afterAll(async () => {
    client.terminate();
    port2.close();
    await srv?.close();
  });

  it('a server copy with flipped bytes: IntegrityError naming the file, where it came from and what to do; nothing of it is kept', async () => {
    served.set(`m/${REWARD}`, flipped);
    const e = await refusal(client.scoreTakes([take], request.prompt));
    // Rebuilt on the page side of the channel as the class the store threw.
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.message).toBe(
      `${REWARD} from ${base}${REWARD} is corrupt: its sha256 is ${sha(flipped)}, but the manifest lists ${listed.sha256}. ` +
        'The file was damaged or replaced; download the model again, or re-export it so the manifest matches.',
    );
    expect(await cache.getRecord(manifest.name, listed)).toBeUndefined();
    // Best-of-N asks for the reward model before its first take, so it costs no generation either.
    const takes: number[] = [];
    await expect(client.generateBestOf(request, { n: 2 }, { onTake: (t) => takes.push(t.seed) })).rejects.toThrow(e);
    expect(takes).toEqual([]);
  });

  it('loses nothing: every file the load stored stays whole in the cache, and the model makes the same clip from it', async () => {
    expect(modelFiles.length).toBeGreaterThanOrEqual(4); // text encoder, denoiser, preview and VAE decoders
    const byPath = new Map<string, PackageFile>();
    for (const c of Object.values(manifest.components) as { variants: Record<string, { files: PackageFile[] }> }[]) {
      for (const v of Object.values(c.variants)) for (const f of v.files) byPath.set(`m/${f.path}`, f);
    }
    for (const path of modelFiles) expect(await cache.holdsComplete(manifest.name, byPath.get(path)!), path).toBe(true);
    const before = srv.requests.length;
    expect(sha((await client.generate(request)).video.data)).toBe(clip);
    expect(srv.requests.slice(before).filter((r) => r.path.endsWith('.onnx'))).toEqual([]);
  });

  it('once the server copy is good again, the next scoring fetches it and scores, without reloading the model', async () => {
    served.delete(`m/${REWARD}`);
    const scores = await client.scoreTakes([take], request.prompt);
    expect(scores).toHaveLength(1);
    expect(Number.isFinite(scores[0]!.overall)).toBe(true);
    goodScores = [scores[0]!.VQ, scores[0]!.MQ, scores[0]!.TA];
    expect(await cache.holdsComplete(manifest.name, listed)).toBe(true);
  });

  it('a copy damaged inside the cache is found when read, deleted and fetched again, with a warning naming it; the scores are unchanged', async () => {
    // The store's own chunk key (cache.ts): file:<model>/<path>@<sha256>, chunk …#00000.
    const idb = createStore(DB, 'files');
    const key = `chunk:${manifest.name}/${REWARD}@${listed.sha256}#00000`;
    const chunk = await get<Uint8Array>(key, idb);
    expect(chunk?.length).toBe(good.length);
    await set(key, chunk!.map((b, i) => (i === 100 ? b ^ 0xff : b)), idb);
    // The reward session of this load was made from the good bytes: a new load reads the file again.
    await client.unload();
    await client.loadModel({ base }, { numThreads: 1 });
    warnings.length = 0;
    const before = srv.requests.length;
    const scores = await client.scoreTakes([take], request.prompt);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^The cached copy of ${REWARD.replace(/\./g, '\\.')} is corrupt \\(${REWARD.replace(/\./g, '\\.')} from the browser cache is corrupt: its sha256 is [0-9a-f]{64}, but the manifest lists ${listed.sha256}\\. .*\\); downloading it again\\.$`));
    expect(srv.requests.slice(before).map((r) => r.path)).toEqual([`m/${REWARD}`]);
    expect([scores[0]!.VQ, scores[0]!.MQ, scores[0]!.TA]).toEqual(goodScores);
    expect(await cache.holdsComplete(manifest.name, listed)).toBe(true);
  });
});

describe.runIf(available(SHIPPED_MODEL, TITLE))(`${TITLE}: the CLI's path (model folder)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-reward-corrupt-'));
  const rewardPath = join(dir, REWARD);
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
  let take: FramesRGBA;
  let clip: string;

  beforeAll(async () => {
    ortWeb.env.logLevel = 'error';
    // The shipped files linked, the reward model and the manifest copied: those two are edited here.
    for (const f of readdirSync(SHIPPED)) if (f !== REWARD && f !== 'manifest.json') symlinkSync(resolve(SHIPPED, f), join(dir, f));
    copyFileSync(`${SHIPPED}/${REWARD}`, rewardPath);
    copyFileSync(`${SHIPPED}/manifest.json`, join(dir, 'manifest.json'));
    await engine.loadModel({ base: dir }, { numThreads: 1 });
    take = (await engine.generate(request)).video;
    clip = sha(take.data);
  });
  afterAll(async () => {
    await engine.unload().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('truncated, then bytes flipped: the size, then the sha256 refuses it, naming the file, the folder and what to do; the same clip meanwhile; scoring works once the file is back', async () => {
    // The reward session is made once per load, on first use: a failed make is tried again on the
    // next call, so both damages reach the store before the good file is put back.
    const refused = async (damaged: Uint8Array) => {
      writeFileSync(rewardPath, damaged);
      const e = await refusal(engine.scoreTakes([take], request.prompt));
      expect(sha((await engine.generate(request)).video.data)).toBe(clip);
      return e;
    };
    const short = await refused(truncated);
    expect(short).toBeInstanceOf(SizeMismatchError);
    expect(short.message).toBe(
      `${REWARD} from ${dir} has ${truncated.length} bytes, but the manifest lists ${listed.bytes}. ` +
        'The file is truncated or belongs to another export; download the model again or re-export it.',
    );
    const corrupt = await refused(flipped);
    expect(corrupt).toBeInstanceOf(IntegrityError);
    expect(corrupt.message).toBe(
      `${REWARD} from ${dir} is corrupt: its sha256 is ${sha(flipped)}, but the manifest lists ${listed.sha256}. ` +
        'The file was damaged or replaced; download the model again, or re-export it so the manifest matches.',
    );
    writeFileSync(rewardPath, good);
    expect(await engine.scoreTakes([take], request.prompt)).toHaveLength(1);
  });

  it('`vidlet generate --best-of 2` on the flipped file: exit 1 before any take, the same message, no clip written', () => {
    writeFileSync(rewardPath, flipped);
    const out = join(dir, 'best.gif');
    try {
      const r = spawnSync(process.execPath, ['bin/vidlet.mjs', 'generate', '--prompt', request.prompt, '--best-of', '2', '--steps', '1', '--model', dir, '--out', out, '--threads', '1'], {
        encoding: 'utf8',
        timeout: 240_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`IntegrityError: ${REWARD} from ${dir} is corrupt: its sha256 is ${sha(flipped)}, but the manifest lists ${listed.sha256}. The file was damaged or replaced;`);
      expect(r.stderr).not.toMatch(/take 1\/2/);
      expect(existsSync(out)).toBe(false);
    } finally {
      writeFileSync(rewardPath, good);
    }
  });

  it('a truncated graph with a manifest re-listed to match it (a broken re-export): ModelFormatError naming the component, file, variant, backend and what to do', async () => {
    // Size and sha256 now agree with the damaged file, so the store hands it on and onnxruntime refuses it.
    const edited = structuredClone(manifest);
    edited.components.rewardModel.variants.int8.files[0] = { ...listed, bytes: truncated.length, sha256: sha(truncated) };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(edited));
    writeFileSync(rewardPath, truncated);
    const info = await engine.loadModel({ base: dir }, { numThreads: 1 });
    const e = await refusal(engine.scoreTakes([take], request.prompt));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toBe(
      `Could not load the rewardModel (${REWARD}, int8) on ${info.backend.description}: ` +
        // onnxruntime-web 1.31.1's own words for a cut protobuf (package.json pins the version).
        "Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.. " +
        'The file is not a graph this onnxruntime can run; re-export it or choose another variant.',
    );
    expect(sha((await engine.generate(request)).video.data)).toBe(clip);
  });
});
