/**
 * Video encoding in the browser (page or worker) with WebCodecs' VideoEncoder. The codec is
 * the first one `VideoEncoder.isConfigSupported` accepts for the size, in the container's
 * order of preference (CONTAINER_CODECS); the packets go to mediabunny for muxing.
 */
import { EncodedPacket } from 'mediabunny';
import type { FramesRGBA } from '../engine/types';
import { CodecUnavailableError } from './errors';
import { frameBytes } from './frames';
import { CONTAINER_CODECS, type EncodedVideo, type VideoCodecName, type VideoContainer, videoBitrate } from './video-container';

/**
 * Full codec strings to try per codec, in order. H.264: Constrained Baseline 3.1 (plays
 * everywhere, up to 1280×720), then Main 4.0 and High 5.1 for bigger frames.
 * VP9 profile 0 8-bit; AV1 Main 8-bit level 4.0.
 */
const CODEC_STRINGS: Record<VideoCodecName, readonly string[]> = {
  avc: ['avc1.42E01F', 'avc1.4D0028', 'avc1.640033'],
  vp9: ['vp09.00.10.08', 'vp09.00.40.08'],
  vp8: ['vp8'],
  av1: ['av01.0.08M.08'],
};

export function hasWebCodecsEncoder(): boolean {
  return typeof VideoEncoder !== 'undefined' && typeof VideoFrame !== 'undefined';
}

function encoderConfig(codec: string, width: number, height: number, fps: number): VideoEncoderConfig {
  const config: VideoEncoderConfig = { codec, width, height, framerate: fps, bitrate: videoBitrate(width, height, fps) };
  // AVCC ('avc') output: length-prefixed NALs plus an avcC description, what MP4 stores.
  if (codec.startsWith('avc1')) config.avc = { format: 'avc' };
  return config;
}

/** The first supported codec for the container and size, or null with the list of what was tried. */
export async function chooseWebCodecsCodec(
  container: VideoContainer,
  width: number,
  height: number,
  fps: number,
): Promise<{ codec: VideoCodecName; config: VideoEncoderConfig } | { codec: null; tried: string[] }> {
  const tried: string[] = [];
  if (!hasWebCodecsEncoder()) return { codec: null, tried };
  for (const codec of CONTAINER_CODECS[container]) {
    for (const s of CODEC_STRINGS[codec]) {
      tried.push(s);
      const config = encoderConfig(s, width, height, fps);
      try {
        const support = await VideoEncoder.isConfigSupported(config);
        if (support.supported) return { codec, config: support.config ?? config };
      } catch {
        // isConfigSupported throws TypeError on a config it cannot parse: treat as unsupported.
      }
    }
  }
  return { codec: null, tried };
}

/** Encode a clip (even sizes) with WebCodecs for `container`; throws CodecUnavailableError if none fits. */
export async function encodeWebCodecs(video: FramesRGBA, fps: number, container: VideoContainer): Promise<EncodedVideo> {
  const choice = await chooseWebCodecsCodec(container, video.width, video.height, fps);
  if (choice.codec === null) {
    throw new CodecUnavailableError(
      `This browser has no WebCodecs video encoder for ${container.toUpperCase()} at ${video.width}×${video.height} ` +
        `(tried ${choice.tried.join(', ') || 'nothing: VideoEncoder is missing'}). Export as ` +
        `${container === 'mp4' ? 'WebM' : 'MP4'}, GIF or a PNG zip instead, or use a Chromium-based browser.`,
    );
  }
  const packets: EncodedPacket[] = [];
  let decoderConfig: VideoDecoderConfig | undefined;
  let failure: Error | undefined;
  const encoder = new VideoEncoder({
    output: (chunk, meta) => {
      packets.push(EncodedPacket.fromEncodedChunk(chunk));
      if (meta?.decoderConfig && !decoderConfig) decoderConfig = meta.decoderConfig;
    },
    error: (e) => {
      failure = e;
    },
  });
  try {
    encoder.configure(choice.config);
    const frameUs = 1e6 / fps;
    const keyEvery = Math.max(1, Math.round(fps * 2)); // a key frame every ~2 s
    for (let i = 0; i < video.frames; i++) {
      const frame = new VideoFrame(frameBytes(video, i), {
        format: 'RGBX', // alpha is dropped: none of these codecs is asked to keep it
        codedWidth: video.width,
        codedHeight: video.height,
        timestamp: Math.round(i * frameUs),
        duration: Math.round(frameUs),
      });
      encoder.encode(frame, { keyFrame: i % keyEvery === 0 });
      frame.close();
    }
    await encoder.flush();
  } catch (e) {
    throw new CodecUnavailableError(`The ${choice.config.codec} encoder failed: ${(failure ?? (e as Error)).message}`);
  } finally {
    if (encoder.state !== 'closed') encoder.close();
  }
  if (failure) throw new CodecUnavailableError(`The ${choice.config.codec} encoder failed: ${failure.message}`);
  if (!decoderConfig) throw new CodecUnavailableError(`The ${choice.config.codec} encoder gave no decoder configuration.`);
  return { codec: choice.codec, packets, decoderConfig };
}
