import type { Metrics } from '../contract/algorithm';

/** Metric keys shown on the progress line, in order, when present. */
const SHOWN = ['score/mean', 'kl/mean', 'kl/beta', 'loss/total', 'train/loss', 'heldout/loss', 'heldout/perplexity', 'heldout/accuracy', 'heldout/auc', 'heldout/pairwiseAccuracy'];

export interface ProgressOptions {
  total: number;
  start?: number;
  label?: string;
  stream?: NodeJS.WriteStream;
  /** Print a plain line every N steps when not on a TTY (default: about 20 lines per run). */
  every?: number;
}

/**
 * Progress on a TTY: one redrawn line with a bar, rate, ETA and the latest headline metrics.
 * Elsewhere (CI, pipes): plain lines, one every few steps.
 */
export class Progress {
  private readonly t0 = Date.now();
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private every: number;
  private readonly start: number;
  /** The last step count seen, to tell when a multiple of `every` was passed. */
  private seen: number;

  private readonly opts: ProgressOptions;

  constructor(opts: ProgressOptions) {
    this.opts = { ...opts };
    this.stream = opts.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
    this.start = opts.start ?? 0;
    this.every = opts.every ?? Math.max(1, Math.round((opts.total - this.start) / 20));
    this.seen = this.start;
  }

  /** The job's last step, once it is known (the bar, the ETA and the plain-line interval follow it). */
  setTotal(total: number): void {
    this.opts.total = total;
    if (this.opts.every === undefined) this.every = Math.max(1, Math.round((total - this.start) / 20));
  }

  update(step: number, metrics: Metrics): void {
    const done = step + 1;
    // a job that logs every k steps skips step counts: print when a multiple of `every` lies in (seen, done]
    const crossed = Math.floor(done / this.every) > Math.floor(this.seen / this.every);
    const first = this.seen === this.start;
    this.seen = Math.max(this.seen, done);
    const elapsed = (Date.now() - this.t0) / 1000;
    const rate = (done - this.start) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.opts.total - done) / rate : Infinity;
    const shown = SHOWN.filter((k) => typeof metrics[k] === 'number').map((k) => `${k.replace(/^.*\//, (m) => m)}=${fmt(metrics[k])}`);
    const label = this.opts.label ? `${this.opts.label} ` : '';
    if (this.tty) {
      const width = 24;
      const filled = Math.round((done / this.opts.total) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.stream.write(`\r\x1b[2K${label}${bar} ${done}/${this.opts.total} ${rateText(rate)} eta ${time(eta)}  ${shown.join(' ')}`);
      if (done >= this.opts.total) this.stream.write('\n');
    } else if (first || crossed || done >= this.opts.total) {
      this.stream.write(`${label}step ${done}/${this.opts.total} (${rateText(rate)}, eta ${time(eta)}) ${shown.join(' ')}\n`);
    }
  }

  message(text: string): void {
    this.stream.write(this.tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(4);
}

function rateText(stepsPerSec: number): string {
  return stepsPerSec >= 1 ? `${stepsPerSec.toFixed(2)} it/s` : `${(1 / stepsPerSec).toFixed(1)} s/it`;
}

function time(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
