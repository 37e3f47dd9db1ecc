/**
 * One play/pause/scrub time shared by every take on screen, so frame k of take A is shown with
 * frame k of take B: judging motion side by side needs both clips at the same moment. The clock
 * reads time from an injected `now` (ms), so it is pure and tests drive it by hand. Time loops
 * over `duration` seconds (the takes of one batch share frames and fps).
 */
export class SyncClock {
  #playing = false;
  /** Seconds into the clip at `#since` (while playing) or now (paused). */
  #at = 0;
  #since = 0;

  constructor(
    readonly duration: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(duration > 0) || !Number.isFinite(duration)) throw new RangeError(`A clip lasts more than 0 seconds, not ${duration}.`);
  }

  get playing(): boolean {
    return this.#playing;
  }

  /** The shared time in seconds, in [0, duration). */
  time(): number {
    const raw = this.#playing ? this.#at + (this.now() - this.#since) / 1000 : this.#at;
    return ((raw % this.duration) + this.duration) % this.duration;
  }

  play(): void {
    if (this.#playing) return;
    this.#since = this.now();
    this.#playing = true;
  }

  pause(): void {
    if (!this.#playing) return;
    this.#at = this.time();
    this.#playing = false;
  }

  toggle(): void {
    if (this.#playing) this.pause();
    else this.play();
  }

  /** Scrubs every take to `seconds` (clamped into the clip), playing on if it was playing. */
  seek(seconds: number): void {
    this.#at = Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), this.duration) % this.duration : 0;
    this.#since = this.now();
  }
}

/** The frame to show at `seconds` of a clip of `frames` frames at `fps`. */
export function frameAt(seconds: number, fps: number, frames: number): number {
  return Math.min(frames - 1, Math.max(0, Math.floor(seconds * fps + 1e-9)));
}
