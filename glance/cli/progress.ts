/**
 * Transfer progress for people: a redrawn bar with bytes, rate and ETA on a
 * terminal; on anything else (logs, CI) a plain line every few seconds, so
 * output stays readable and small.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** Seconds → "1:05" or "1:02:03"; unknown → "--:--". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** One progress line (no newline). `width` is the bar's inner width. */
export function renderProgress(p: { bytes: number; total: number | null; elapsedS: number; label: string; width?: number }): string {
  const rate = p.elapsedS > 0 ? p.bytes / p.elapsedS : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (p.total === null || p.total <= 0) return `${p.label} ${formatBytes(p.bytes)} ${rateText}`;
  const width = p.width ?? 30;
  const frac = Math.min(1, p.bytes / p.total);
  const filled = Math.round(frac * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (frac >= 1 ? '=' : '>') : ''}${' '.repeat(width - filled)}`;
  const eta = rate > 0 ? (p.total - p.bytes) / rate : null;
  return `${p.label} [${bar}] ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(p.bytes)}/${formatBytes(p.total)} ${rateText} ETA ${formatDuration(eta)}`;
}

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  readonly label: string;
  readonly total: number | null;
  /** Redraw in place (a terminal) or print occasional lines. */
  readonly tty: boolean;
  readonly write: (text: string) => void;
  /** Seconds between lines when not a terminal. Default 10. */
  readonly lineIntervalS?: number;
  readonly now?: () => number;
}

export class ProgressReporter {
  private readonly start: number;
  private lastDraw = 0;
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? (() => Date.now());
    this.start = this.now();
    this.lastDraw = this.start;
  }

  update(bytes: number): void {
    this.bytes = bytes;
    const t = this.now();
    const interval = this.o.tty ? 100 : (this.o.lineIntervalS ?? 10) * 1000;
    if (t - this.lastDraw < interval) return;
    this.lastDraw = t;
    this.draw(false);
  }

  /** The final state (always printed), ending the line. */
  done(): void {
    this.draw(true);
  }

  private draw(final: boolean): void {
    const line = renderProgress({ bytes: this.bytes, total: this.o.total, elapsedS: (this.now() - this.start) / 1000, label: this.o.label });
    if (this.o.tty) this.o.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else this.o.write(`${line}\n`);
  }
}
