/**
 * Decoded frames on the page (#11), in Chromium: the converted tiny Wan package
 * (tests/fixtures/wan-tiny: random weights, 9 frames of 32×32, a frame-by-frame VAE decoder whose
 * first call makes frames 1–5 and the next 6–9) added to the model library by address and used to
 * generate. While the VAE decodes, the live preview must say "Decoding frames a–b of 9" with the
 * range moving on, and its canvas must show the finished frames of each group as it arrives (a
 * frame of the decoded group, not blank, not the step preview), before the clip is finished; the
 * finished clip has the 9 frames, and they are the frames the page showed while decoding.
 * What the page showed is read right after it rendered each state (the run observable, then the
 * app's and the preview's updateComplete), as recordSteps (harness.ts) reads the step previews.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import { fillForm, launchApp, playableVideo, siteWithPackage, useModelAt, waitForRunEnd, type App } from './harness';
import { colourSpread, distinctColours, meanAbsDiff } from './pixels';
import { startStaticServer, type StaticServer } from './static-server';

const WAN_TINY = resolve(import.meta.dirname, '../fixtures/wan-tiny');
const FRAMES = 9;
const DISPLAY_NAME = 'Wan tiny fixture (random weights)';
const CASE_TIMEOUT = 600_000;

let server: StaticServer | undefined;
let app: App | undefined;
let root: string | undefined;

afterEach(async () => {
  await app?.stop();
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  app = server = root = undefined;
});

/** What the live preview showed once it had rendered one run state. */
interface Shown {
  kind: string;
  /** The step the step preview was at (0 before the first). */
  step: number;
  /** Frames decoded so far in the run state, and the newest group [first, end); null: none yet. */
  decoded: number | null;
  last: [number, number] | null;
  total: number | null;
  /** The status line's text. */
  status: string;
  /** The canvas: its data-decoded attribute, size and pixels. */
  canvasDecoded: number;
  width: number;
  height: number;
  pixels: number[];
  /** Which decoded frame (0-based) the canvas shows; −1: none of them. */
  frame: number;
}

/** Records, from now on, what the live preview shows after each run state that brings a new step preview or new decoded frames. */
async function recordShown(page: Page) {
  await page.evaluate(() => {
    type Frames = { width: number; height: number; frames: number; data: Uint8ClampedArray };
    type Decoded = { frames: Frames; last: { first: number; end: number }; total: number };
    type State = { kind: string; step?: { step: number }; decoded?: Decoded; entry?: { video: Frames } };
    type W = {
      vidlet: { session: { run: { subscribe(f: (s: State) => void): void } } };
      __shown: unknown[];
      __entryMatchesDecoded?: boolean;
    };
    const w = window as unknown as W;
    w.__shown = [];
    let lastState: State | undefined;
    let lastDecoded: Frames | undefined;
    // What was last recorded: a state is recorded when it brings a new group (or, before any, a new step).
    let seenStep: unknown;
    let seenDecoded: unknown;
    const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 2) return false;
      return true;
    };
    w.vidlet.session.run.subscribe((s) => {
      if (s === lastState) return;
      lastState = s;
      if (s.kind === 'done' && s.entry && lastDecoded) {
        // The finished clip against the frames the page joined while decoding.
        const a = s.entry.video.data;
        const b = lastDecoded.data;
        w.__entryMatchesDecoded = a.length === b.length && a.every((v, i) => v === b[i]);
      }
      if (s.decoded) {
        if (s.decoded === seenDecoded) return; // a late step beside the same frames
        seenDecoded = s.decoded;
        if (s.kind === 'running') lastDecoded = s.decoded.frames;
      } else {
        if (s.kind !== 'running' || s.step === seenStep) return;
        seenStep = s.step;
      }
      void (async () => {
        await (document.querySelector('vidlet-app') as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        const el = document.querySelector('vidlet-app')?.shadowRoot?.querySelector('vidlet-live-preview') as
          | (HTMLElement & { updateComplete: Promise<unknown> })
          | null;
        await el?.updateComplete;
        const canvas = el?.shadowRoot?.querySelector('canvas');
        if (!el || !canvas) return;
        const pixels = canvas.width * canvas.height > 0 ? canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data : new Uint8ClampedArray();
        let frame = -1;
        const d = s.decoded?.frames;
        if (d) {
          const size = d.width * d.height * 4;
          if (pixels.length === size) for (let i = 0; i < d.frames && frame < 0; i++) if (sameBytes(pixels, d.data.subarray(i * size, (i + 1) * size))) frame = i;
        }
        w.__shown.push({
          kind: s.kind,
          step: s.step?.step ?? 0,
          decoded: s.decoded?.frames.frames ?? null,
          last: s.decoded ? [s.decoded.last.first, s.decoded.last.end] : null,
          total: s.decoded?.total ?? null,
          status: (el.shadowRoot?.querySelector('.status .line strong')?.textContent ?? '').trim(),
          canvasDecoded: Number(canvas.dataset.decoded),
          width: canvas.width,
          height: canvas.height,
          pixels: Array.from(pixels),
          frame,
        });
      })();
    });
  });
}

it('shows each group of decoded frames as the VAE decodes it, before the clip is finished', { timeout: CASE_TIMEOUT }, async () => {
  // The built app and the fixture package at /extra/wan-tiny/, served statically.
  root = siteWithPackage('vidlet-vae-frames-', WAN_TINY, 'wan-tiny');
  server = await startStaticServer(root);
  app = await launchApp(server.url);
  const { page } = app;

  const info = await useModelAt(page, `${server.url}extra/wan-tiny/`, DISPLAY_NAME, 'wan-tiny-fixture');
  expect(info).toMatchObject({ kind: 'ready', info: { vaeDecode: { graphs: 'frames' }, video: { frames: FRAMES, width: 32, height: 32 } } });

  await recordShown(page);
  await fillForm(page, { prompt: 'a red ball on the beach', steps: 2, seed: 3 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForRunEnd(page)).toBe('done');
  const shown = await page.evaluate(() => (window as unknown as { __shown: Shown[] }).__shown);

  // The step previews before any decoded frame: what the canvas showed last before decoding. (Steps
  // and frames cross from the worker on different ports, so step 2 may come after the first group.)
  const steps = shown.filter((s) => s.decoded === null);
  expect([[1], [1, 2]]).toContainEqual(steps.map((s) => s.step));
  const lastStep = steps.at(-1)!;

  // (a) what the status line said, in order: the steps, then one line per group with the range
  // moving on (a late step must not bring the step preview back), then the finished decode.
  expect(shown.map((s) => s.status)).toEqual([
    ...steps.map((s) => `Step ${s.step} / 2`),
    `Decoding frames 1–5 of ${FRAMES}`,
    `Decoding frames 6–9 of ${FRAMES}`,
    `All ${FRAMES} frames decoded`,
  ]);
  const decoding = shown.filter((s) => s.decoded !== null && s.kind === 'running');
  expect(decoding.map((s) => s.last)).toEqual([[0, 5], [5, 9]]);
  expect(decoding.map((s) => s.decoded)).toEqual([5, 9]);

  // (b) the canvas shows a decoded frame of each group as it arrives, at the clip's size, with a
  // picture in it (not one flat colour), and not what the step preview showed.
  for (const s of decoding) {
    expect(s.canvasDecoded).toBe(s.decoded);
    expect([s.width, s.height]).toEqual([32, 32]);
    expect(s.frame, `canvas matches no decoded frame at ${s.status}`).toBeGreaterThanOrEqual(0);
    expect(s.frame).toBeLessThan(s.decoded!);
    // Measured: 854 colours, spread 15.6 (a flat frame: 1 and 0).
    expect(distinctColours(s.pixels)).toBeGreaterThan(50);
    expect(colourSpread(s.pixels)).toBeGreaterThan(5);
    // The step preview was 4×4 (the preview decoder's latent-sized picture); were it the same size, its pixels must differ.
    const changed = lastStep.pixels.length !== s.pixels.length || meanAbsDiff(lastStep.pixels, s.pixels) > 2;
    expect(changed, 'the canvas still shows the step preview').toBe(true);
  }

  // (c) the finished clip: all 9 frames, the ones the page showed while decoding.
  const finishing = shown.filter((s) => s.kind === 'finishing');
  expect(finishing.map((s) => s.decoded)).toEqual([FRAMES]);
  const done = await page.evaluate(() => {
    const w = window as unknown as { vidlet: { session: { run: { value: { entry: { video: { frames: number; width: number; height: number } } } } } }; __entryMatchesDecoded?: boolean };
    const { frames, width, height } = w.vidlet.session.run.value.entry.video;
    return { frames, width, height, matches: w.__entryMatchesDecoded };
  });
  expect(done).toEqual({ frames: FRAMES, width: 32, height: 32, matches: true });
  // …and the result player plays it at the clip's size.
  expect(await playableVideo(page)).toMatchObject({ width: 32 });
});
