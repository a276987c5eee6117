import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePlugin, Tokens, type Metrics } from '@rlhfjs/core';
import { csvLoggerOptionsSchema } from './csv.options';

/** Metrics as a CSV table for spreadsheets; columns are fixed by the first logged step. */
export const csvLogger = definePlugin({
  kind: 'logger',
  name: 'csv',
  description: 'Write metrics as a CSV file in the run directory (columns fixed by the first step).',
  options: csvLoggerOptionsSchema,
  create({ options, container }) {
    const runDir = container.resolve(Tokens.RunDir);
    const file = path.join(runDir.path, options.file);
    let columns: string[] | undefined;
    return {
      start({ startStep }) {
        if (startStep > 0 && fs.existsSync(file)) {
          // resumed: keep the header and the rows before the checkpoint
          const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
          columns = lines[0]?.split(',').slice(1);
          const kept = lines.filter((l, i) => i === 0 || Number(l.split(',')[0]) < startStep);
          fs.writeFileSync(file, kept.join('\n') + '\n');
        }
      },
      log(step: number, metrics: Metrics) {
        if (!columns) {
          columns = Object.keys(metrics).sort();
          fs.writeFileSync(file, ['step', ...columns].map(csvCell).join(',') + '\n');
        }
        fs.appendFileSync(file, [step, ...columns.map((k) => metrics[k] ?? '')].map(csvCell).join(',') + '\n');
      },
    };
  },
});

function csvCell(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
