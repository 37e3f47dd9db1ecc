/**
 * Tests that need something from outside npm (Debian's Chromium, the training venv) or the shipped
 * model package ask here whether it is there. On a developer's machine a missing prerequisite skips
 * those tests and says so on stderr; in CI (CI=true or CI=1, which .ci/run exports) it fails the
 * file instead, because a CI run that quietly skips them is green while testing less. `npm test`
 * installs Chromium and the venv (scripts/ensure-system-deps.sh) and the model package is committed,
 * so in CI a missing one means the set-up or the checkout broke.
 */
import { existsSync } from 'node:fs';

export interface Prerequisite {
  /** What it is, for messages. */
  name: string;
  /** The file whose presence means it is installed (relative paths: from the repository root). */
  path: string;
  /** How to install it. */
  setup: string;
}

export const CHROMIUM: Prerequisite = {
  name: "Debian's Chromium",
  path: '/usr/bin/chromium',
  setup: 'bash scripts/ensure-system-deps.sh (installs the Debian package chromium)',
};

export const TRAINING_PYTHON: Prerequisite = {
  name: "the training venv's Python",
  path: 'training/.venv/bin/python',
  setup: 'bash training/setup.sh (creates training/.venv from training/requirements.txt)',
};

/**
 * The embedded model package that the engine, CLI, adapter and numerics tests run on. It is
 * committed, so it is missing only after a partial checkout or a deletion.
 */
export const SHIPPED_MODEL: Prerequisite = {
  name: 'the shipped model package',
  path: 'public/models/vidlet-tiny/manifest.json',
  setup:
    'git checkout -- public/models/vidlet-tiny (the package is committed with the repository; ' +
    'training writes a new one with python -m vidlet_train.export, see docs/model-package.md)',
};

/** The CI convention most CI services follow (GitHub Actions, GitLab, CircleCI set CI=true). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

/**
 * Whether `tests` can run: true when `p` is installed. Otherwise it throws in CI and, elsewhere,
 * prints which tests are skipped and how to install `p`, and returns false (for describe.runIf).
 */
export function available(p: Prerequisite, tests: string, env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): boolean {
  if (exists(p.path)) return true;
  const what = `${p.name} (${p.path}) is missing, so "${tests}" cannot run. Install it: ${p.setup}.`;
  if (inCi(env)) throw new Error(`${what} In CI (CI=${env.CI}) this fails instead of skipping.`);
  console.warn(`skipped: ${what}`);
  return false;
}
