/**
 * A model package with a reward model, made at test time: the shipped package's files linked into a
 * temporary folder, the reward fixture (tests/fixtures/reward: the int8 export of an untrained,
 * seeded reward model, made by its make.py) copied beside them, and manifest.json = the shipped one
 * plus the fixture's manifest-fragment.json, as the lead would merge a trained one.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SHIPPED = 'public/models/vidlet-tiny';
export const REWARD_FIXTURE = 'tests/fixtures/reward';

export function makeRewardPackage(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-reward-'));
  for (const f of readdirSync(SHIPPED)) if (f !== 'manifest.json') symlinkSync(resolve(SHIPPED, f), join(dir, f));
  const fragment = JSON.parse(readFileSync(`${REWARD_FIXTURE}/manifest-fragment.json`, 'utf8'));
  for (const variant of Object.values(fragment.components.rewardModel.variants) as { files: { path: string }[] }[]) {
    for (const f of variant.files) copyFileSync(`${REWARD_FIXTURE}/${f.path}`, join(dir, f.path));
  }
  const manifest = JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8'));
  manifest.components = { ...manifest.components, ...fragment.components };
  manifest.reward = fragment.reward;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
