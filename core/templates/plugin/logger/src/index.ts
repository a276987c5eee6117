import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePackage, definePlugin, Tokens, type Logger, type Metrics } from '@rlhfjs/core';

/**
 * Logger: chosen metrics as a tab-separated table in the run directory. The run directory is a
 * collaborator, so it comes from the container (Tokens.RunDir), not from the options.
 */
export const __EXPORT__ = definePlugin({
  kind: 'logger',
  name: '__PLUGIN__',
  description: 'Writes chosen metrics as a tab-separated table (one row per step) in the run directory.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: { type: 'string', minLength: 1, default: 'metrics.tsv', description: 'File name, relative to the run directory.' },
      keys: { type: 'array', items: { type: 'string' }, default: [], description: 'Metric names to keep, as columns in this order; empty keeps every metric of the first step, sorted.' },
    },
  } as const,
  create({ options, container }): Logger {
    const file = path.join(container.resolve(Tokens.RunDir).path, options.file);
    let columns: string[] | undefined = options.keys.length ? [...options.keys] : undefined;
    let header = false;
    const cell = (v: number | undefined): string => (v === undefined ? '' : String(v));
    return {
      start({ startStep }) {
        // a resumed run keeps the rows before its checkpoint
        if (startStep > 0 && fs.existsSync(file)) {
          const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
          columns = lines[0]?.split('\t').slice(1) ?? columns;
          fs.writeFileSync(file, lines.filter((l, i) => i === 0 || Number(l.split('\t')[0]) < startStep).join('\n') + '\n');
          header = lines.length > 0;
        }
      },
      log(step: number, metrics: Metrics) {
        columns ??= Object.keys(metrics).sort();
        if (!header) {
          fs.writeFileSync(file, ['step', ...columns].join('\t') + '\n');
          header = true;
        }
        fs.appendFileSync(file, [String(step), ...columns.map((k) => cell(metrics[k]))].join('\t') + '\n');
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
