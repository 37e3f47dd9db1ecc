/**
 * MP4/WebM export with WebCodecs in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core), checked by decoding the result again: mediabunny reads the container
 * (duration, packets, size, settings) and WebCodecs' VideoDecoder decodes every frame, whose
 * colours are compared with the clip. Own vite dev server on port 5391.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportClip } from '../../src/media/encode';
import { clipSettings, quadrantClip } from '../unit/media/fixtures';

const PORT = 5391;
const ROOT = resolve(__dirname, '../..');

let server: ViteDevServer;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  server = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: PORT, strictPort: true, hmr: false },
    optimizeDeps: { include: ['mediabunny', 'fast-png', 'fflate', 'gifenc'] },
  });
  await server.listen();
  profile = mkdtempSync(join(tmpdir(), 'vidlet-media-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page]', e));
  await page.goto(`http://127.0.0.1:${PORT}/tests/browser/media.page.html`);
  await page.waitForFunction(() => window.mediaReady === true, undefined, { timeout: 120_000 });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Runs in the page: make a clip, export it, read it back, decode every frame. */
async function roundTrip(format: 'mp4' | 'webm', width: number, height: number) {
  return page.evaluate(
    async ({ format, width, height }) => {
      const m = window.media as any;
      const F = 16;
      // Four flat quadrants whose colours change per frame (as tests/unit/media/fixtures.ts).
      const colours = (f: number) => {
        const k = (f * 37) % 256;
        return [[255, k, 0], [0, 255 - k, 255], [k, k, k], [40, 200, (k + 128) % 256]];
      };
      const data = new Uint8ClampedArray(width * height * F * 4);
      for (let f = 0; f < F; f++)
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++) {
            const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
            data.set([...colours(f)[q]!, 255], ((f * height + y) * width + x) * 4);
          }
      const video = { width, height, frames: F, data };
      const settings = {
        app: 'vidlet', version: 1, prompt: 'a red ball — “bounces” ✓', negativePrompt: '', seed: 7, steps: 20,
        guidance: 5, innerGuidance: 3, sampler: 'euler', model: 'vidlet-tiny', variant: 'fp32', backend: 'wasm',
        fps: 8, frames: F, width, height, createdAt: '2026-11-23T10:00:00.000Z',
      };
      const clip = await m.encode.exportClip(video, 8, settings, format);
      const probe = await m.videoContainer.probeVideo(clip.bytes);
      const restored = await m.restore.restoreSettings(new File([clip.bytes], 'dropped.bin'));

      // Decode every frame with WebCodecs (through mediabunny's sink) and measure colour error
      // at the centre of each quadrant.
      const { Input, ALL_FORMATS, BufferSource, VideoSampleSink } = m.mediabunny;
      const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(clip.bytes) });
      const track = await input.getPrimaryVideoTrack();
      let decoded = 0;
      let maxError = 0;
      const canvas = new OffscreenCanvas(clip.width, clip.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      for await (const sample of new VideoSampleSink(track).samples()) {
        sample.draw(ctx, 0, 0);
        const px = ctx.getImageData(0, 0, clip.width, clip.height).data;
        const probes = [[width / 4, height / 4], [(3 * width) / 4, height / 4], [width / 4, (3 * height) / 4], [(3 * width) / 4, (3 * height) / 4]];
        probes.forEach(([x, y], q) => {
          const i = (Math.floor(y!) * clip.width + Math.floor(x!)) * 4;
          for (let c = 0; c < 3; c++) maxError = Math.max(maxError, Math.abs(px[i + c]! - colours(decoded)[q]![c]!));
        });
        sample.close();
        decoded++;
      }
      input.dispose();
      return {
        codec: clip.codec, encoder: clip.encoder, width: clip.width, height: clip.height, bytes: clip.bytes.length,
        probe, restored, settings, decoded, maxError,
      };
    },
    { format, width, height },
  );
}

describe('video export in Chromium (WebCodecs)', () => {
  it('reports which encoders this Chromium has', async () => {
    const support = await page.evaluate(async () => {
      const strings = ['avc1.42E01F', 'avc1.4D0028', 'avc1.640033', 'vp09.00.10.08', 'vp8', 'av01.0.08M.08'];
      const out: Record<string, boolean> = {};
      for (const codec of strings) {
        out[codec] = (await VideoEncoder.isConfigSupported({ codec, width: 128, height: 128, bitrate: 200_000 })).supported === true;
      }
      return out;
    });
    console.log('WebCodecs VideoEncoder support in this Chromium:', JSON.stringify(support));
    // WebM must always be possible in Chromium (libvpx is built in); H.264 depends on the build.
    expect(support['vp09.00.10.08'] || support.vp8).toBe(true);
  });

  for (const format of ['mp4', 'webm'] as const) {
    it(`${format}: decodes to 16 frames of the right size and colours, settings round-trip`, async () => {
      const r = await roundTrip(format, 128, 128);
      console.log(`${format}: ${r.codec} via ${r.encoder}, ${r.bytes} bytes, max colour error ${r.maxError}`);
      expect(r.encoder).toBe('webcodecs');
      expect(r.probe).toMatchObject({ width: 128, height: 128, packetCount: 16, durationSeconds: 2 });
      expect(r.probe.container).toBe(format === 'mp4' ? 'MP4' : 'WebM');
      expect(r.decoded).toBe(16);
      expect(r.maxError).toBeLessThan(24); // lossy 4:2:0 at ~200 kbit/s on flat colours
      expect(r.restored).toEqual({ format, settings: r.settings });
    });
  }

  it('pads odd sizes to even and keeps the true size in the settings', async () => {
    const r = await roundTrip('webm', 33, 21);
    expect([r.width, r.height]).toEqual([34, 22]);
    expect(r.probe).toMatchObject({ width: 34, height: 22, packetCount: 16 });
    expect(r.decoded).toBe(16);
    expect(r.restored.settings).toMatchObject({ width: 33, height: 21 });
  });

  it('makes ImageData per frame and a JPEG thumbnail', async () => {
    const r = await page.evaluate(async () => {
      const m = window.media as any;
      const data = new Uint8ClampedArray(8 * 6 * 3 * 4).map((_, i) => (i * 13) & 255);
      const video = { width: 8, height: 6, frames: 3, data };
      const images = m.frames.framesToImageData(video) as ImageData[];
      const jpeg = (await m.thumbnail.thumbnailDataUrl(video, { type: 'image/jpeg' })) as string;
      const img = await createImageBitmap(await (await fetch(jpeg)).blob());
      return {
        sizes: images.map((i) => [i.width, i.height]),
        same: images[2]!.data.every((v, i) => v === data[2 * 8 * 6 * 4 + i]),
        jpegPrefix: jpeg.slice(0, 23),
        jpegSize: [img.width, img.height],
      };
    });
    expect(r.sizes).toEqual([[8, 6], [8, 6], [8, 6]]);
    expect(r.same).toBe(true);
    expect(r.jpegPrefix).toBe('data:image/jpeg;base64,');
    expect(r.jpegSize).toEqual([8, 6]);
  });

  it('falls back to VP9 in MP4 without an H.264 encoder, and names what it tried when nothing fits', async () => {
    const r = await page.evaluate(async () => {
      const m = window.media as any;
      const real = VideoEncoder.isConfigSupported.bind(VideoEncoder);
      const video = { width: 32, height: 32, frames: 4, data: new Uint8ClampedArray(32 * 32 * 4 * 4).fill(128) };
      const settings = {
        app: 'vidlet', version: 1, prompt: 'p', negativePrompt: '', seed: 1, steps: 1, guidance: 1, innerGuidance: 0,
        sampler: 'euler', model: 'm', variant: 'fp32', backend: 'wasm', fps: 8, frames: 4, width: 32, height: 32,
        createdAt: '2026-11-23T10:00:00.000Z',
      };
      try {
        // A browser without H.264 encoding (e.g. some Linux builds): only the avc1 strings fail.
        VideoEncoder.isConfigSupported = async (c: VideoEncoderConfig) =>
          c.codec.startsWith('avc1') ? { supported: false, config: c } : real(c);
        const clip = await m.encode.exportClip(video, 8, settings, 'mp4');
        const probe = await m.videoContainer.probeVideo(clip.bytes);
        // No encoder at all.
        VideoEncoder.isConfigSupported = async (c: VideoEncoderConfig) => ({ supported: false, config: c });
        const error = await m.encode.exportClip(video, 8, settings, 'webm').then(() => null, (e: Error) => `${e.name}: ${e.message}`);
        return { codec: clip.codec, container: probe.container, probeCodec: probe.codec, frames: probe.packetCount, error };
      } finally {
        VideoEncoder.isConfigSupported = real;
      }
    });
    expect(r).toMatchObject({ codec: 'vp9', container: 'MP4', probeCodec: 'vp9', frames: 4 });
    expect(r.error).toMatch(/^CodecUnavailableError: This browser has no WebCodecs video encoder for WEBM at 32×32 \(tried vp09\.00\.10\.08, .*vp8.*av01.*\)\. Export as MP4, GIF or a PNG zip instead/);
  });

  // What the CLI writes in Node (wasm encoders, no WebCodecs) must play in the browser too.
  for (const format of ['mp4', 'webm', 'gif'] as const) {
    it(`a ${format} written in Node decodes in Chromium with all 16 frames`, async () => {
      const video = quadrantClip(64, 48, 16);
      const clip = await exportClip(video, 8, clipSettings(video, 8), format);
      const r = await page.evaluate(
        async ({ bytes, mimeType, isVideo }) => {
          const data = Uint8Array.from(bytes);
          if (!isVideo) {
            // ImageDecoder (WebCodecs) is Chromium's own GIF decoder.
            const decoder = new ImageDecoder({ data, type: mimeType });
            await decoder.tracks.ready;
            const frame = await decoder.decode({ frameIndex: 15 });
            const out = { frames: decoder.tracks.selectedTrack!.frameCount, width: frame.image.displayWidth, height: frame.image.displayHeight };
            frame.image.close();
            return out;
          }
          const m = window.media as any;
          const { Input, ALL_FORMATS, BufferSource, VideoSampleSink } = m.mediabunny;
          const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(data) });
          const track = await input.getPrimaryVideoTrack();
          let frames = 0;
          let width = 0;
          let height = 0;
          for await (const sample of new VideoSampleSink(track).samples()) {
            frames++;
            width = sample.displayWidth;
            height = sample.displayHeight;
            sample.close();
          }
          return { frames, width, height };
        },
        { bytes: Array.from(clip.bytes), mimeType: clip.mimeType, isVideo: format !== 'gif' },
      );
      expect(r).toEqual({ frames: 16, width: 64, height: 48 });
    });
  }
});
