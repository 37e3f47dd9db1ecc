/**
 * MP4/WebM export in Node (no WebCodecs): h264-mp4-encoder and libav.js VP9, muxed by
 * mediabunny. The VP9 result is decoded again with libav.js to check the pixels, not only the
 * container.
 */
import { EncodedPacketSink, Input, ALL_FORMATS, BufferSource } from 'mediabunny';
import { describe, expect, it } from 'vitest';
import { exportClip } from '../../../src/media/encode';
import { probeVideo, readVideoSettings } from '../../../src/media/video-container';
import { avccHasIdr, fpsToTimeBase } from '../../../src/media/video-node';
import { clipSettings, quadrantClip, quadrantColours } from './fixtures';

const video = quadrantClip(127, 97, 16); // odd on purpose: padded to 128×98
const settings = clipSettings(video, 8);

describe('video export in Node', () => {
  it('writes H.264 MP4 that mediabunny reads: size, duration, frames, key frames, settings', async () => {
    const clip = await exportClip(video, 8, settings, 'mp4');
    expect(clip).toMatchObject({ codec: 'avc', encoder: 'h264-mp4-encoder', width: 128, height: 98, mimeType: 'video/mp4' });
    const probe = await probeVideo(clip.bytes);
    expect(probe).toMatchObject({ container: 'MP4', codec: 'avc', width: 128, height: 98, packetCount: 16, durationSeconds: 2 });
    expect(probe.codecString).toMatch(/^avc1\.42/); // Constrained Baseline
    expect(probe.keyPacketCount).toBe(1); // GOP of 2 s = 16 frames: one IDR, then P-frames
    expect(await readVideoSettings(clip.bytes, 'mp4')).toEqual(settings);
  });

  it('writes VP9 WebM whose decoded frames have the clip colours', async () => {
    const clip = await exportClip(video, 8, settings, 'webm');
    expect(clip).toMatchObject({ codec: 'vp9', encoder: 'libav.js', width: 128, height: 98, mimeType: 'video/webm' });
    const probe = await probeVideo(clip.bytes);
    expect(probe).toMatchObject({ container: 'WebM', codec: 'vp9', width: 128, height: 98, packetCount: 16, durationSeconds: 2 });
    expect(await readVideoSettings(clip.bytes, 'webm')).toEqual(settings);

    const frames = await decodeVp9Luma(clip.bytes);
    expect(frames).toHaveLength(16);
    for (let f = 0; f < 16; f++) {
      const colours = quadrantColours(f);
      const probes = [[30, 24], [96, 24], [30, 72], [96, 72]] as const;
      probes.forEach(([x, y], q) => {
        const [r, g, b] = colours[q]!;
        const expectedY = 16 + 0.256788 * r + 0.504129 * g + 0.097906 * b;
        // lossy at ~200 kbit/s: flat areas stay within a few levels
        expect(Math.abs(frames[f]![y * 128 + x]! - expectedY)).toBeLessThan(6);
      });
    }
  });

  it('refuses settings that describe another clip', async () => {
    await expect(exportClip(video, 10, settings, 'mp4')).rejects.toThrow(/fps is 10 but its settings say 8/);
    await expect(exportClip(video, 8, { ...settings, frames: 3 }, 'gif')).rejects.toThrow(/frames is 16/);
  });

  it('finds IDR NAL units in AVCC access units', () => {
    const au = (...nals: number[][]) => Uint8Array.from(nals.flatMap((n) => [0, 0, 0, n.length, ...n]));
    expect(avccHasIdr(au([0x67, 1, 2], [0x68, 3], [0x65, 9, 9]))).toBe(true); // SPS, PPS, IDR
    expect(avccHasIdr(au([0x41, 9, 9, 9]))).toBe(false); // non-IDR slice
  });

  it('turns fps into a rational time base', () => {
    expect(fpsToTimeBase(8)).toEqual([1, 8]);
    expect(fpsToTimeBase(7.5)).toEqual([2, 15]);
    expect(fpsToTimeBase(29.97)).toEqual([100, 2997]);
  });
});

/** Luma planes (128×98) of every frame of a VP9 WebM, decoded with libav.js. */
async function decodeVp9Luma(bytes: Uint8Array): Promise<Uint8Array[]> {
  const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(bytes) });
  const track = (await input.getPrimaryVideoTrack())!;
  const packets = [];
  for await (const p of new EncodedPacketSink(track).packets()) packets.push(p);
  const LibAV = (await import('@libav.js/variant-webm-vp9')).default;
  const libav = await LibAV.LibAV({ noworker: true, nothreads: true });
  try {
    await libav.av_log_set_level(libav.AV_LOG_ERROR);
    const [, ctx, pkt, frame] = await libav.ff_init_decoder('libvpx-vp9');
    const frames = await libav.ff_decode_multi(
      ctx, pkt, frame,
      packets.map((p, i) => ({ data: p.data, pts: i, ptshi: 0, flags: p.type === 'key' ? 1 : 0 })),
      { fin: true, copyoutFrame: 'video_packed' },
    );
    await libav.ff_free_decoder(ctx, pkt, frame);
    return frames.map((f) => (f.data as Uint8Array).subarray(0, 128 * 98));
  } finally {
    libav.terminate();
  }
}
