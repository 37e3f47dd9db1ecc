/** Human progress lines for stderr (pure formatting; the caller writes them). */
import type { LoadProgress, StepPreview } from '../engine/types';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function loadLine(p: LoadProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((100 * p.loadedBytes) / p.totalBytes) : 0;
  switch (p.phase) {
    case 'manifest':
      return 'reading manifest…';
    case 'session':
      return `creating onnxruntime sessions (${formatBytes(p.totalBytes)})…`;
    default:
      return `loading model ${pct}% (${formatBytes(p.loadedBytes)} / ${formatBytes(p.totalBytes)})${p.file ? ` ${p.file}` : ''}`;
  }
}

export function stepLine(s: StepPreview): string {
  return `step ${s.step}/${s.steps}  t=${s.t.toFixed(3)}  elapsed ${formatMs(s.elapsedMs)}  eta ${formatMs(s.etaMs)}`;
}

/** "decoding frames 6–9 of 17" (1-based, inclusive) for a group of `count` frames from `first`; `total` is what the clip should have. */
export function framesLine(first: number, count: number, total: number): string {
  const end = first + count;
  return `decoding ${count === 1 ? `frame ${end}` : `frames ${first + 1}–${end}`} of ${Math.max(total, end)}`;
}

/** Writes status lines: rewritten in place on a terminal, one per line otherwise (logs, CI). */
export class StatusWriter {
  private last = '';
  private lastAt = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(line: string, force = false): void {
    const now = Date.now();
    if (!force && line === this.last) return;
    if (!force && this.stream.isTTY !== true && now - this.lastAt < 1000 && line.startsWith('loading')) return; // throttle file logs
    this.lastAt = now;
    this.last = line;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(`${line}\n`);
  }

  done(line?: string): void {
    if (this.stream.isTTY && this.last) this.stream.write('\n');
    if (line) this.stream.write(`${line}\n`);
    this.last = '';
  }
}
