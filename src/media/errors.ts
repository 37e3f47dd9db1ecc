/**
 * Errors of the media area. Each one says what happened and what the user can do; the UI
 * shows `message` as is, so keep them plain sentences.
 */

/** The embedded settings are missing, malformed, from another app or from a newer Vidlet. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The file is not one of the formats Vidlet exports (mp4, webm, gif, zip). */
export class UnsupportedFormatError extends Error {
  override name = 'UnsupportedFormatError';
}

/** A real mp4/webm/gif/zip that carries no Vidlet settings. */
export class NotVidletError extends Error {
  override name = 'NotVidletError';
}

/** No video encoder for the asked container exists in this environment (browser or Node). */
export class CodecUnavailableError extends Error {
  override name = 'CodecUnavailableError';
}
