/**
 * MP4/WebM containers through mediabunny: writing already encoded video packets with the
 * settings as metadata, and reading the settings back. Muxing is pure TypeScript, so this
 * runs in the browser and in Node alike; only the encoders differ (video-webcodecs.ts,
 * video-node.ts).
 *
 * Where the settings go (mediabunny 1.61 `MetadataTags.comment`):
 *   MP4:  moov/udta/meta/ilst '©cmt' atom;  WebM: a Tags/SimpleTag "COMMENT" with target 50 (MOVIE).
 * Both are read back by mediabunny's Input.getMetadataTags(), and by ffprobe/exiftool/VLC as the
 * file's comment.
 */
import {
  BlobSource,
  BufferSource,
  BufferTarget,
  EncodedPacket,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  Input,
  MATROSKA,
  MP4,
  Mp4OutputFormat,
  Output,
  QTFF,
  WEBM,
  WebMOutputFormat,
} from 'mediabunny';
import { NotVidletError } from './errors';
import { type ClipSettings, parseSettings, serializeSettings } from './settings';

/**
 * The demuxers we need. Naming them (rather than ALL_FORMATS) lets the bundler drop
 * mediabunny's audio/MPEG-TS/Ogg readers from the page bundle.
 */
export const VIDEO_INPUT_FORMATS = [MP4, QTFF, WEBM, MATROSKA];

export type VideoContainer = 'mp4' | 'webm';
/** Mediabunny's short codec names for what our encoders produce. */
export type VideoCodecName = 'avc' | 'vp9' | 'vp8' | 'av1';

/** What every encoder (WebCodecs, h264-mp4-encoder, libav.js) hands to the muxer. */
export interface EncodedVideo {
  codec: VideoCodecName;
  /** In decode order, timestamps in seconds. */
  packets: EncodedPacket[];
  /** WebCodecs-style decoder config (codec string, coded size, avcC description for H.264). */
  decoderConfig: VideoDecoderConfig;
}

/** Which codecs each container may hold, best first (MP4 can carry VP9/AV1 when H.264 is missing). */
export const CONTAINER_CODECS: Record<VideoContainer, readonly VideoCodecName[]> = {
  mp4: ['avc', 'vp9', 'av1'],
  webm: ['vp9', 'vp8', 'av1'],
};

export async function muxVideo(
  container: VideoContainer,
  video: EncodedVideo,
  fps: number,
  settings: ClipSettings,
): Promise<Uint8Array> {
  if (!CONTAINER_CODECS[container].includes(video.codec)) {
    throw new RangeError(`A ${container.toUpperCase()} file cannot hold ${video.codec} video.`);
  }
  const output = new Output({
    // fastStart 'in-memory': the moov box goes first, so a browser can start playing before
    // the whole file has arrived.
    format: container === 'mp4' ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat(),
    target: new BufferTarget(),
  });
  output.setMetadataTags({ comment: serializeSettings(settings), title: settings.prompt.slice(0, 200) });
  const source = new EncodedVideoPacketSource(video.codec);
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  let first = true;
  for (const packet of video.packets) {
    await source.add(packet, first ? { decoderConfig: video.decoderConfig } : undefined);
    first = false;
  }
  await output.finalize();
  const buffer = output.target.buffer;
  if (!buffer) throw new Error('mediabunny produced no output buffer.');
  return new Uint8Array(buffer);
}

/** Everything a test or the UI wants to know about an MP4/WebM we (or someone) wrote. */
export interface VideoProbe {
  container: string;
  codec: string | null;
  codecString: string | null;
  width: number;
  height: number;
  durationSeconds: number;
  packetCount: number;
  keyPacketCount: number;
  comment: string | undefined;
}

export async function probeVideo(bytes: Uint8Array): Promise<VideoProbe> {
  const input = new Input({ formats: VIDEO_INPUT_FORMATS, source: new BufferSource(bytes) });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new NotVidletError('This file has no video track.');
    let packetCount = 0;
    let keyPacketCount = 0;
    for await (const p of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) {
      packetCount++;
      if (p.type === 'key') keyPacketCount++;
    }
    return {
      container: (await input.getFormat()).name,
      codec: track.codec,
      codecString: await track.getCodecParameterString(),
      width: track.displayWidth,
      height: track.displayHeight,
      durationSeconds: await input.computeDuration(),
      packetCount,
      keyPacketCount,
      comment: (await input.getMetadataTags()).comment,
    };
  } finally {
    input.dispose();
  }
}

/** The embedded settings of an MP4/WebM, or a NotVidletError/SettingsError saying why not. */
export async function readVideoSettings(file: Uint8Array | Blob, container: VideoContainer): Promise<ClipSettings> {
  // A Blob is read lazily: only the header/metadata boxes are fetched, even for a 2 GB film.
  const source = file instanceof Blob ? new BlobSource(file) : new BufferSource(file);
  const input = new Input({ formats: VIDEO_INPUT_FORMATS, source });
  let comment: string | undefined;
  try {
    comment = (await input.getMetadataTags()).comment;
  } catch (e) {
    throw new NotVidletError(`This ${container.toUpperCase()} could not be read (${(e as Error).message}); the file may be damaged.`);
  } finally {
    input.dispose();
  }
  if (!comment || !/^\s*\{/.test(comment)) {
    throw new NotVidletError(`this ${container.toUpperCase()} was not made by Vidlet: it carries no Vidlet settings in its metadata.`);
  }
  return parseSettings(comment);
}

/**
 * Target bitrate: ~0.2 bits per pixel per frame, at least 200 kbit/s. Generated clips are
 * tiny (128² at 8 fps = 26 kbit/s by the formula), so the floor decides: quality first.
 */
export function videoBitrate(width: number, height: number, fps: number): number {
  return Math.max(200_000, Math.round(width * height * fps * 0.2));
}
