import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { openRunDir } from '../../runner/run';
import { writeReport } from '../../report/report';

/** `rlhf report <run-dir>`: an HTML page with charts and the same charts as PNG. */
export function registerReport(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'report <run>',
    'write an HTML report (charts of score, KL, β, losses, evaluations; sample completions) and PNG charts for a run directory',
    (y) => y.positional('run', { type: 'string', demandOption: true }).option('out', { type: 'string', describe: 'output folder (default: <run>/report)' }),
    async (a) => {
      const run = openRunDir(h.abs(a.run as string));
      const res = writeReport(run.path, a.out ? h.abs(a.out) : undefined);
      h.out(`wrote ${h.rel(res.html)} and ${res.pngs.length} PNG charts`);
    },
  );
}
