/**
 * The media area's public API. Import lazily from the page (`await import('../media')`) when
 * the user exports or drops a file: mediabunny, gifenc, fast-png and fflate weigh ~100 KB gzip.
 */
export { encodeClip, exportClip, formatFromPath, type ExportedClip, type ExportFormat, type ExportOptions } from './encode';
export { restoreSettings, type RestoredSettings } from './restore';
export { type ClipSettings, parseSettings, serializeSettings, settingsFromResult, SETTINGS_VERSION } from './settings';
export { CodecUnavailableError, NotVidletError, SettingsError, UnsupportedFormatError } from './errors';
export { EXPORT_FORMATS, MIME_TYPES, sniffFormat } from './formats';
export { framesToImageData, frameBytes, padToEven, pickFrame } from './frames';
export { thumbnailDataUrl, type ThumbnailOptions } from './thumbnail';
export { chooseWebCodecsCodec } from './video-webcodecs';
export { probeVideo, type VideoProbe } from './video-container';
