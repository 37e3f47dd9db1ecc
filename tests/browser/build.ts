/**
 * The app build the browser tests serve. Each test run (one `vitest` invocation) builds into its
 * own directory, made by global-setup.ts under node_modules/.cache/ and removed when the run ends:
 * two runs at once used to share one directory that every build emptied first, so one run could
 * delete the files the other was serving.
 *
 * A run still does not rebuild what an earlier run built from the same sources. A finished build is
 * published as node_modules/.cache/vidlet-browser-builds/<key of its sources> (renamed into place:
 * never seen half-written) and a later run hard-links it into its own directory (no copy of the
 * ~160 MB of model files; measured 0.00 s, against 8.5 s for `vite build` on the 2-core machine).
 * Neither side writes into a linked file: a run empties its directory before `vite build` writes
 * new files into it, and vite preview only reads. Publishing removes builds of other sources;
 * a run that was linking one of them at that moment sees a file missing and builds instead.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's build directory (global-setup.ts). */
    browserBuildDir: string;
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'node_modules/.cache');
const BUILDS = join(CACHE, 'vidlet-browser-builds');
const RUN_PREFIX = 'vidlet-browser-run-';
const PUBLISHING_PREFIX = '.new-';
/** A half-published build older than this belongs to a run that was killed while publishing. */
const ABANDONED_PUBLISH_MS = 10 * 60_000;
/** What the build was made from, and how many files it holds (a partly linked copy holds fewer). */
const STAMP = '.vidlet-build-stamp';

/** Newest mtime and count of everything the bundle is built from. */
function sourceStamp(): string {
  let newest = 0;
  let count = 0;
  const walk = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else {
      newest = Math.max(newest, st.mtimeMs);
      count++;
    }
  };
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'package.json']) {
    const full = join(ROOT, p);
    if (existsSync(full)) walk(full);
  }
  return `${newest}:${count}`;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  return n;
}

function readStamp(dir: string): { sources: string; files: number } | undefined {
  try {
    const [sources, files] = readFileSync(join(dir, STAMP), 'utf8').split('\n');
    return { sources, files: Number(files) };
  } catch {
    return undefined;
  }
}

/** True when `dir` holds the whole build of `sources`. */
function holdsBuild(dir: string, sources: string): boolean {
  const stamp = readStamp(dir);
  try {
    // The stamp itself is one of the files.
    return stamp?.sources === sources && countFiles(dir) === stamp.files + 1;
  } catch {
    return false; // removed while counting
  }
}

function emptyDir(dir: string) {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Hard-links the contents of `from` into the existing directory `to` (GNU cp). */
function linkInto(from: string, to: string): boolean {
  return spawnSync('cp', ['-al', `${from}/.`, `${to}/`], { stdio: 'ignore' }).status === 0;
}

const keyOf = (sources: string) => createHash('sha256').update(sources).digest('hex').slice(0, 16);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A new, empty directory for one run's build. Its name holds this process's id, so a later run
 * removes it if this run was killed before it could.
 */
export function makeRunDir(): string {
  mkdirSync(CACHE, { recursive: true });
  for (const name of readdirSync(CACHE)) {
    const pid = name.startsWith(RUN_PREFIX) ? /^(\d+)-/.exec(name.slice(RUN_PREFIX.length))?.[1] : undefined;
    if (pid && !isAlive(Number(pid))) rmSync(join(CACHE, name), { recursive: true, force: true });
  }
  return mkdtempSync(join(CACHE, `${RUN_PREFIX}${process.pid}-`));
}

/** Publishes the build in `dir` for later runs and removes the builds of other sources. */
function publish(dir: string, sources: string) {
  mkdirSync(BUILDS, { recursive: true });
  const key = keyOf(sources);
  const target = join(BUILDS, key);
  if (!holdsBuild(target, sources)) {
    // Missing, or cut short (a run removing it while another linked from it): publish anew.
    rmSync(target, { recursive: true, force: true });
    const staging = mkdtempSync(join(BUILDS, PUBLISHING_PREFIX));
    try {
      if (linkInto(dir, staging)) renameSync(staging, target);
    } catch {
      // another run published the same sources first
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  for (const name of readdirSync(BUILDS)) {
    const path = join(BUILDS, name);
    if (name === key) continue;
    if (name.startsWith(PUBLISHING_PREFIX) && Date.now() - statSync(path).mtimeMs < ABANDONED_PUBLISH_MS) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Puts the app, built from the sources as they are now, into `dir` (this run's own directory) and
 * returns `dir`: kept when an earlier test file of the run built the same sources, otherwise
 * linked from a published build, otherwise built with `vite build`.
 */
export function buildApp(dir: string): string {
  const sources = sourceStamp();
  if (readStamp(dir)?.sources === sources) return dir;
  emptyDir(dir);
  const published = join(BUILDS, keyOf(sources));
  if (existsSync(published) && linkInto(published, dir) && holdsBuild(dir, sources)) return dir;
  emptyDir(dir);
  const result = spawnSync('npx', ['vite', 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  writeFileSync(join(dir, STAMP), `${sources}\n${countFiles(dir)}`);
  publish(dir, sources);
  return dir;
}
