/**
 * Error classes of the model store. Each says what happened and what to do, and carries the
 * facts as fields so the UI can show them without parsing the message. All of them survive
 * a structured clone as plain Errors (name + message); the extra fields are for same-realm use.
 */

/** The manifest is missing a field, has a wrong type or a value this Vidlet does not understand. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  /** Dotted path of the offending field inside manifest.json, e.g. 'components.denoiser.variants.fp16'. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** A file's bytes do not hash to the sha256 the manifest lists (corrupt, truncated or replaced). */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
    readonly source: string,
  ) {
    super(
      `${path} from ${source} is corrupt: its sha256 is ${actualSha256}, but the manifest lists ${expectedSha256}. ` +
        'The file was damaged or replaced; download the model again, or re-export it so the manifest matches.',
    );
  }
}

/** A file has a different byte size than the manifest lists (checked before hashing: cheaper). */
export class SizeMismatchError extends Error {
  override name = 'SizeMismatchError';
  constructor(
    readonly path: string,
    readonly expectedBytes: number,
    readonly actualBytes: number,
    readonly source: string,
  ) {
    super(
      `${path} from ${source} has ${actualBytes} bytes, but the manifest lists ${expectedBytes}. ` +
        'The file is truncated or belongs to another export; download the model again or re-export it.',
    );
  }
}

/** A model file or manifest could not be read (missing file, HTTP error, network down). */
export class FileUnavailableError extends Error {
  override name = 'FileUnavailableError';
  constructor(
    readonly path: string,
    readonly source: string,
    readonly reason: string,
  ) {
    super(`Cannot read ${path} from ${source}: ${reason}`);
  }
}

/**
 * The browser refused to store more bytes (IndexedDB quota). The message says how much is needed
 * (and, when the browser's estimate is believable, how much to free) and what can be freed: other
 * cached models with their sizes, History clips, disk space or the site's storage allowance. It
 * never suggests that anything was deleted: nothing is, History included.
 */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  constructor(
    /** Bytes still to be stored for the file that failed. */
    readonly neededBytes: number,
    /** Bytes the browser says are still free for this origin (quota − usage), or null if unknown. */
    readonly freeBytes: number | null,
    /** Cached models that could be deleted to make room, with their sizes. */
    readonly deletable: { name: string; bytes: number }[],
    /** The file that could not be stored, when one was being stored. */
    readonly path?: string,
  ) {
    super(StorageFullError.describe(neededBytes, freeBytes, deletable, path));
  }

  private static describe(needed: number, free: number | null, deletable: { name: string; bytes: number }[], path: string | undefined): string {
    const needs = `${path ? `the model's file ${path}` : 'the model'} needs ${formatBytes(needed)} more`;
    // The browser's estimate can be wrong both ways (Chromium enforces a quota the estimate does
    // not show, or the disk fills first): when it claims room, say that it refused anyway.
    const room =
      free === null
        ? `${needs}, and the browser does not say how much is free`
        : free < needed
          ? `${needs}, but ${formatBytes(free)} are free: make room for at least ${formatBytes(needed - free)}`
          : `${needs}, and the browser refused to store it although it reports ${formatBytes(free)} free for this site`;
    const ways = [
      ...(deletable.length > 0 ? [`delete a cached model you no longer need (${deletable.map((m) => `${m.name}: ${formatBytes(m.bytes)}`).join(', ')})`] : []),
      'delete clips you no longer need from History',
      'free disk space or allow this site more storage (site settings)',
    ];
    return `Browser storage is full: ${room}. To make room, ${ways.join('; or ')}. Then try again: the files already stored are kept, and so is your History.`;
  }
}

/**
 * A download was aborted through its AbortSignal (not a failure to report to the user).
 * `keptBytes` of the file's `totalBytes` stay stored (its finished chunks); the next
 * download of the file resumes after them. Both are 0 when nothing of a file was under way.
 */
export class DownloadAbortedError extends Error {
  override name = 'AbortError';
  constructor(
    readonly path: string,
    readonly keptBytes = 0,
    readonly totalBytes = 0,
  ) {
    super(
      totalBytes > 0
        ? `Download of ${path} was cancelled; ${formatBytes(keptBytes)} of ${formatBytes(totalBytes)} are kept and the next download resumes from there.`
        : `Download of ${path} was cancelled.`,
    );
  }
}

/** Human-readable size for messages (binary units, as browsers' storage settings show). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** A package given as files (a picked folder) lacks files its manifest names, or has them at another size. */
export class PackageFilesError extends Error {
  override name = 'PackageFilesError';
  constructor(readonly problems: { path: string; problem: string }[]) {
    super(
      `The folder is not a complete model package: ${problems.slice(0, 5).map((p) => `${p.path} ${p.problem}`).join('; ')}` +
        `${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}. Nothing was stored; pick the whole package folder as the converter wrote it.`,
    );
  }
}
