/**
 * What the page says when a dropped file gives back no settings: which file, why (the media
 * reader's own sentence), what to drop instead, and that the form was left as it was.
 */

/** Files that are no Vidlet export at all (src/media/errors.ts): say what would work instead. */
const NOT_AN_EXPORT = new Set(['UnsupportedFormatError', 'NotVidletError']);

export function restoreRefusal(fileName: string, error: unknown): string {
  const quoted = `"${fileName}"`;
  let why = error instanceof Error ? error.message : String(error);
  // The reader may name the file itself ('"notes.bin" is not …'): say "it" rather than the name twice.
  if (why.startsWith(quoted)) why = `it${why.slice(quoted.length)}`;
  // "This zip …" → "this zip …" after the colon; leave acronyms ("MP4 …") as they are.
  if (/^[A-Z][a-z]/.test(why)) why = why[0].toLowerCase() + why.slice(1);
  if (!/[.!?]$/.test(why)) why += '.';
  const instead =
    error instanceof Error && NOT_AN_EXPORT.has(error.name) ? ' Drop an MP4, WebM, GIF or PNG zip exported by Vidlet to restore its settings.' : '';
  return `No settings restored from ${quoted}: ${why}${instead} Your current settings are unchanged.`;
}
