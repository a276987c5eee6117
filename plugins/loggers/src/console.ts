import { definePlugin, type Metrics } from '@rlhfjs/core';
import { consoleLoggerOptionsSchema } from './console.options';

/**
 * Prints selected metrics as plain lines (for logs and CI); the runner's own progress line
 * already covers interactive use.
 */
export const consoleLogger = definePlugin({
  kind: 'logger',
  name: 'console',
  description: 'Print chosen metrics every N steps as plain lines on stderr (or stdout).',
  options: consoleLoggerOptionsSchema,
  create({ options }) {
    const out = options.stream === 'stdout' ? process.stdout : process.stderr;
    return {
      log(step: number, metrics: Metrics) {
        if ((step + 1) % options.every !== 0) return;
        const keys = options.keys.length ? options.keys : Object.keys(metrics);
        const parts = keys.filter((k) => k in metrics).map((k) => `${k}=${format(metrics[k])}`);
        out.write(`[step ${step + 1}] ${parts.join(' ')}\n`);
      },
      event(name: string, data: Record<string, unknown>) {
        out.write(`[${name}] ${JSON.stringify(data)}\n`);
      },
    };
  },
});

function format(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4);
}
