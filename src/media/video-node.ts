/**
 * Video encoders for Node, where WebCodecs does not exist. Both ship as WebAssembly inside
 * npm packages, so nothing is downloaded at run time:
 *   H.264 → h264-mp4-encoder 1.0.12 (minih264 + minimp4, MIT). It writes a whole MP4; we demux
 *           its packets with mediabunny and re-mux them, so the metadata path is the same as in
 *           the browser.
 *   VP9/VP8 → @libav.js/variant-webm-vp9 6.10.9 (libvpx inside libav.js, LGPL-2.1).
 * Only loaded through a dynamic import from encode.ts when WebCodecs is missing: the browser
 * bundle never includes them.
 */
import { BufferSource, EncodedPacket, EncodedPacketSink, Input } from 'mediabunny';
import type { FramesRGBA } from '../engine/types';
import { CodecUnavailableError } from './errors';
import { frameBytes } from './frames';
import { type EncodedVideo, type VideoCodecName, VIDEO_INPUT_FORMATS, videoBitrate } from './video-container';
import { rgbaToI420 } from './yuv';

/** H.264 (Constrained Baseline) with minih264. `video` must have even sizes. */
export async function encodeAvcNode(video: FramesRGBA, fps: number): Promise<EncodedVideo> {
  const mod = (await import('h264-mp4-encoder')) as unknown as typeof import('h264-mp4-encoder') & { default?: typeof import('h264-mp4-encoder') };
  const create = mod.createH264MP4Encoder ?? mod.default?.createH264MP4Encoder;
  if (!create) throw new CodecUnavailableError('h264-mp4-encoder did not load; run npm install.');
  const encoder = await create();
  // The emscripten file system is shared by all encoder instances: use a unique name.
  encoder.outputFilename = `vidlet-${Date.now()}-${Math.random().toString(36).slice(2)}.mp4`;
  encoder.width = video.width;
  encoder.height = video.height;
  // minih264 takes an integer rate; the packets are re-timed below from the real fps.
  encoder.frameRate = Math.max(1, Math.round(fps));
  encoder.quantizationParameter = 23; // visually clean for small clips (default 33 is blocky)
  encoder.groupOfPictures = Math.max(1, Math.round(fps * 2)); // a key frame every ~2 s, as WebCodecs' default
  encoder.speed = 5;
  let mp4: Uint8Array;
  try {
    encoder.initialize();
    for (let i = 0; i < video.frames; i++) encoder.addFrameRgba(frameBytes(video, i));
    encoder.finalize();
    mp4 = encoder.FS.readFile(encoder.outputFilename);
    encoder.FS.unlink(encoder.outputFilename);
  } finally {
    encoder.delete();
  }
  return demuxPackets(mp4, 'avc', fps);
}

/** VP9 (profile 0, 8-bit) or VP8 with libvpx in libav.js. `video` must have even sizes. */
export async function encodeVpxNode(video: FramesRGBA, fps: number, codec: 'vp9' | 'vp8'): Promise<EncodedVideo> {
  const LibAV = (await import('@libav.js/variant-webm-vp9')).default;
  const libav = await LibAV.LibAV({ noworker: true, nothreads: true });
  try {
    await libav.av_log_set_level(libav.AV_LOG_ERROR); // libvpx prints its version banner otherwise
    const { width, height } = video;
    // Timestamps in frames: time base 1/fps (rational for non-integer fps, e.g. 7.5 → 2/15).
    const [tbNum, tbDen] = fpsToTimeBase(fps);
    const [, ctx, frame, pkt] = await libav.ff_init_encoder(codec === 'vp9' ? 'libvpx-vp9' : 'libvpx', {
      ctx: {
        width,
        height,
        pix_fmt: 0, // AV_PIX_FMT_YUV420P
        bit_rate: videoBitrate(width, height, fps),
        framerate_num: tbDen,
        framerate_den: tbNum,
        gop_size: Math.max(1, Math.round(fps * 2)),
      },
      time_base: [tbNum, tbDen],
      // 'good' + cpu-used 4: libvpx's usual offline trade-off; a 16-frame 128² clip takes ~0.1 s.
      options: { deadline: 'good', 'cpu-used': '4' },
    });
    const ySize = width * height;
    const inFrames = [];
    for (let i = 0; i < video.frames; i++) {
      inFrames.push({
        data: rgbaToI420(frameBytes(video, i), width, height),
        format: 0,
        width,
        height,
        pts: i,
        ptshi: 0,
        layout: [
          { offset: 0, stride: width },
          { offset: ySize, stride: width / 2 },
          { offset: ySize + ySize / 4, stride: width / 2 },
        ],
      });
    }
    const out = await libav.ff_encode_multi(ctx, frame, pkt, inFrames, true);
    await libav.ff_free_encoder(ctx, frame, pkt);
    const frameSeconds = 1 / fps;
    const packets = out.map(
      (p, seq) => new EncodedPacket(p.data, (p.flags ?? 0) & 1 ? 'key' : 'delta', (p.pts ?? seq) * frameSeconds, frameSeconds, seq),
    );
    return {
      codec,
      packets,
      // vp09.PP.LL.DD: profile 0, level 1.0 (10) is enough up to 256×144@15; 8-bit.
      decoderConfig: { codec: codec === 'vp9' ? 'vp09.00.10.08' : 'vp8', codedWidth: width, codedHeight: height },
    };
  } finally {
    libav.terminate();
  }
}

/** Packets and decoder config of the first video track of an MP4, re-timed to i/fps. */
async function demuxPackets(bytes: Uint8Array, codec: VideoCodecName, fps: number): Promise<EncodedVideo> {
  const input = new Input({ formats: VIDEO_INPUT_FORMATS, source: new BufferSource(bytes) });
  try {
    const track = await input.getPrimaryVideoTrack();
    const decoderConfig = track && (await track.getDecoderConfig());
    if (!track || !decoderConfig) throw new CodecUnavailableError(`The ${codec} encoder produced no readable video track.`);
    const packets: EncodedPacket[] = [];
    let i = 0;
    // minih264 writes no B-frames: decode order is presentation order, so i/fps is exact.
    for await (const p of new EncodedPacketSink(track).packets()) {
      // minimp4 writes no sync-sample table, so every packet reads as 'key'; take the truth
      // from the NAL types, or players would seek onto P-frames.
      const type = codec === 'avc' ? (avccHasIdr(p.data, avccLengthSize(decoderConfig)) ? 'key' : 'delta') : p.type;
      packets.push(new EncodedPacket(p.data, type, i / fps, 1 / fps, i));
      i++;
    }
    return { codec, packets, decoderConfig };
  } finally {
    input.dispose();
  }
}

/** A rational time base 1/fps for fps given to 1/1000 precision (8 → [1, 8]; 7.5 → [2, 15]). */
export function fpsToTimeBase(fps: number): [number, number] {
  let num = 1000;
  let den = Math.round(fps * 1000);
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return [num, den];
}

/** NAL length prefix size of AVCC data, from the avcC record's lengthSizeMinusOne (default 4). */
function avccLengthSize(config: VideoDecoderConfig): number {
  const d = config.description;
  if (!d) return 4;
  const bytes = ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
  return bytes.length > 4 ? (bytes[4]! & 3) + 1 : 4;
}

/** True when an AVCC access unit holds an IDR slice (nal_unit_type 5, H.264 §7.4.1.2). */
export function avccHasIdr(data: Uint8Array, lengthSize = 4): boolean {
  let pos = 0;
  while (pos + lengthSize < data.length) {
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + data[pos + k]!;
    if ((data[pos + lengthSize]! & 0x1f) === 5) return true;
    pos += lengthSize + len;
  }
  return false;
}
