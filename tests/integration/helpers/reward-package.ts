/**
 * Model packages made at test time from the shipped one (its files linked into a temporary folder,
 * a new manifest.json): with the reward fixture (tests/fixtures/reward: the int8 export of an
 * untrained, seeded reward model, made by its make.py) in place of the shipped reward model, or with
 * no reward model at all.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SHIPPED = 'public/models/vidlet-tiny';
export const REWARD_FIXTURE = 'tests/fixtures/reward';

type TempPackage = { dir: string; remove: () => void };

/** The shipped files linked into a fresh folder, and `manifest` written as its manifest.json. */
function linkedPackage(edit: (manifest: Record<string, unknown> & { components: Record<string, unknown> }, dir: string) => void): TempPackage {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-reward-'));
  for (const f of readdirSync(SHIPPED)) if (f !== 'manifest.json' && !f.startsWith('reward_model')) symlinkSync(resolve(SHIPPED, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8'));
  edit(manifest, dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeRewardPackage(): TempPackage {
  return linkedPackage((manifest, dir) => {
    const fragment = JSON.parse(readFileSync(`${REWARD_FIXTURE}/manifest-fragment.json`, 'utf8'));
    for (const variant of Object.values(fragment.components.rewardModel.variants) as { files: { path: string }[] }[]) {
      for (const f of variant.files) copyFileSync(`${REWARD_FIXTURE}/${f.path}`, join(dir, f.path));
    }
    manifest.components = { ...manifest.components, ...fragment.components };
    manifest.reward = fragment.reward;
  });
}

/** The shipped model without its reward model (a package as most converted models are). */
export function makePackageWithoutReward(): TempPackage {
  return linkedPackage((manifest) => {
    delete manifest.components.rewardModel;
    delete manifest.reward;
  });
}
