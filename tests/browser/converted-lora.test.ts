/**
 * A LoRA file from another trainer on a converted model, in Chromium: the tiny Wan package with LoRA slots
 * (tests/fixtures/wan-tiny-presets, converted with --lora-rank 4: slots on the attention and the feed-forward
 * layers, random weights) added to the model library by address, then a musubi-tuner / kohya-layout LoRA
 * (`lora_unet_blocks_0_self_attn_q.lora_down.weight`, per-layer `alpha`, no description file) over every linear
 * layer of each block, as musubi-tuner trains them, dropped on the page alone. It is listed with the note that it
 * came without a description, and enabled it changes the clip of the same seed, and differently from the same
 * file without its feed-forward layers. A file for Wan's image-to-video model (`cross_attn.k_img`), which the
 * slots cannot hold, is refused with the layers counted, and nothing else is lost.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gaussianNoise } from '../../src/engine/noise';
import { safetensors } from '../integration/helpers/adapter-fixture';
import { dropFiles, fillForm, launchApp, siteWithPackage, useModelAt, waitForRunEnd, type App } from './harness';
import { startStaticServer, type StaticServer } from './static-server';

const PACKAGE = resolve(import.meta.dirname, '../fixtures/wan-tiny-presets');
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'manifest.json'), 'utf8'));
const DISPLAY_NAME = 'Wan tiny presets (random weights)';
const NAME = 'spin-musubi';
const CASE_TIMEOUT = 600_000;

/**
 * A musubi-tuner layout LoRA of rank 2 over every block's self-attention query and output, with `ffn.0` and
 * `ffn.2` (the feed-forward layers, C → F → C) and, for the image-to-video model, `cross_attn.k_img` when asked.
 */
function musubiLora(withFeedForward: boolean, imageToVideo = false): Uint8Array {
  const C = manifest.lora.width as number;
  const F = manifest.lora.groups[0].out as number;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let k = 0;
  const layer = (name: string, inFeatures: number, outFeatures: number) => {
    tensors[`${name}.lora_down.weight`] = { shape: [2, inFeatures], data: gaussianNoise(11, k++, 2 * inFeatures).map((v) => v * 0.6) };
    tensors[`${name}.lora_up.weight`] = { shape: [outFeatures, 2], data: gaussianNoise(11, k++, 2 * outFeatures).map((v) => v * 0.6) };
    tensors[`${name}.alpha`] = { shape: [], data: new Float32Array([4]) };
  };
  for (let d = 0; d < manifest.lora.depth; d++) {
    layer(`lora_unet_blocks_${d}_self_attn_q`, C, C);
    layer(`lora_unet_blocks_${d}_self_attn_o`, C, C);
    if (withFeedForward) {
      layer(`lora_unet_blocks_${d}_ffn_0`, C, F);
      layer(`lora_unet_blocks_${d}_ffn_2`, F, C);
    }
    if (imageToVideo) layer(`lora_unet_blocks_${d}_cross_attn_k_img`, C, C);
  }
  return safetensors(tensors, {});
}

type DoneWindow = { vidlet: { session: { run: { value: { entry?: { settings: Record<string, unknown>; video: { data: Uint8ClampedArray } } } } } } };

async function generate(page: Page) {
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  return page.evaluate(async () => {
    const run = (window as unknown as DoneWindow).vidlet.session.run.value;
    const digest = await crypto.subtle.digest('SHA-256', run.entry!.video.data.slice().buffer);
    return { hash: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''), settings: run.entry!.settings };
  });
}

let server: StaticServer | undefined;
let app: App | undefined;
let root: string | undefined;

beforeAll(async () => {
  root = siteWithPackage('vidlet-converted-lora-', PACKAGE, 'wan-tiny-presets');
  server = await startStaticServer(root);
  app = await launchApp(server.url);
}, CASE_TIMEOUT);

afterAll(async () => {
  await app?.stop();
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('takes a musubi-tuner LoRA dropped alone, feed-forward layers included, and refuses one with layers the slots cannot hold', { timeout: CASE_TIMEOUT }, async () => {
  const { page } = app!;
  await useModelAt(page, `${server!.url}extra/wan-tiny-presets/`, DISPLAY_NAME, 'wan-tiny-presets');

  await fillForm(page, { prompt: 'a red ball on the beach', steps: 2, seed: 7 });
  const plain = await generate(page);
  expect(plain.settings.adapters).toEqual([]);

  await dropFiles(page, [{ name: `${NAME}.safetensors`, bytes: [...musubiLora(true)] }]);
  const row = page.locator('vidlet-adapter-row', { hasText: NAME });
  await row.waitFor({ timeout: 30_000 });
  await expect(row.locator('[data-note="no-description"]').textContent()).resolves.toMatch(/^No description/);
  await page.getByRole('checkbox', { name: `Use ${NAME}` }).check();
  const styled = await generate(page);
  expect(styled.hash).not.toBe(plain.hash);
  expect(styled.settings).toMatchObject({ adapters: [{ name: NAME, strength: 1 }] });

  // The feed-forward layers took part: the same file without them makes another clip.
  await page.getByRole('checkbox', { name: `Use ${NAME}` }).uncheck();
  await dropFiles(page, [{ name: 'attention-only.safetensors', bytes: [...musubiLora(false)] }]);
  await page.locator('vidlet-adapter-row', { hasText: 'attention-only' }).waitFor({ timeout: 30_000 });
  await page.getByRole('checkbox', { name: 'Use attention-only' }).check();
  const attentionOnly = await generate(page);
  expect(attentionOnly.hash).not.toBe(plain.hash);
  expect(attentionOnly.hash).not.toBe(styled.hash);
  await page.getByRole('checkbox', { name: 'Use attention-only' }).uncheck();
  await page.getByRole('checkbox', { name: `Use ${NAME}` }).check();

  // Layers of the image-to-video model: refused as a whole, with the layers counted; the good adapter stays.
  await dropFiles(page, [{ name: 'image-to-video.safetensors', bytes: [...musubiLora(true, true)] }]);
  const banner = page.locator('vidlet-error-banner.adapter-error');
  await banner.first().waitFor({ timeout: 30_000 });
  // (a kohya name cannot say which underscores were dots, so the unknown layers are named as the file has them)
  await expect(banner.first().locator('.banner').textContent()).resolves.toMatch(/holds 2 layers this model's LoRA slots do not: cross_attn_k_img/);
  await expect(page.locator('vidlet-adapter-row', { hasText: 'image-to-video' }).count()).resolves.toBe(0);
  await expect(page.getByRole('checkbox', { name: `Use ${NAME}` }).isChecked()).resolves.toBe(true);
});
