/**
 * Vitest global setup: one build directory per test run (see build.ts), shared by the run's
 * browser test files through inject('browserBuildDir') and removed when the run ends. A run with
 * no browser test only makes and removes the empty directory.
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { makeRunDir } from './build';

export default function setup(project: TestProject) {
  const dir = makeRunDir();
  project.provide('browserBuildDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
