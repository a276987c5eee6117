import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import { openRunDir } from '../../runner/run';
import { writeReport } from '../../report/report';
import { writeComparison } from '../../report/compare';

/** `rlhf report <run-dir>`: an HTML page with charts and the same charts as PNG; with several run directories, a page that compares them. */
export function registerReport(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'report <runs..>',
    'write an HTML report (charts of score, KL, β, losses, evaluations; sample completions) and PNG charts for a run directory; given several, compare them (curves overlaid, evaluation tables side by side, held-out completions)',
    (y) =>
      y
        .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'one run directory, or several to compare' })
        .option('out', { type: 'string', describe: 'output folder (default: <run>/report; for a comparison, compare-report beside the first run)' })
        .option('smooth', { type: 'number', default: 0, describe: 'comparison: EMA smoothing α of the curves in [0, 1), e.g. 0.9 (s_t = α·s_{t−1} + (1−α)·x_t)' })
        .option('examples', { type: 'number', default: 6, describe: 'comparison: held-out prompts shown with base and trained completions (from rlhf eval\'s outputs)' }),
    async (a) => {
      const paths = (a.runs as string[]).map((r) => openRunDir(h.abs(r)).path);
      if (paths.length === 1) {
        const res = writeReport(paths[0], a.out ? h.abs(a.out) : undefined);
        h.out(`wrote ${h.rel(res.html)} and ${res.pngs.length} PNG charts`);
        return;
      }
      const smooth = a.smooth as number;
      if (!(smooth >= 0 && smooth < 1)) throw new DiagnosticError({ code: 'cli/usage', message: `--smooth is ${smooth}, but the EMA weight must be in [0, 1)`, fix: 'pass e.g. --smooth 0.9, or 0 for raw curves' });
      const out = a.out ? h.abs(a.out) : path.join(path.dirname(paths[0]), 'compare-report');
      const res = writeComparison(paths, out, { smooth, examples: a.examples as number });
      h.out(`wrote ${h.rel(res.html)} and ${res.pngs.length} PNG charts comparing ${paths.length} runs`);
    },
  );
}
