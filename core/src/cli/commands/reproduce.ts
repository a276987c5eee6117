import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { loadStoredRecipe, openRunDir, trainLoaded } from '../../runner/run';
import { RUN_FILES, readMetricsFile } from '../../runtime/run-dir';
import { compareMetrics } from '../../runtime/compare-metrics';
import type { Manifest } from '../../runtime/manifest';
import { DiagnosticError } from '../../diagnostics';

/** `rlhf reproduce <run-dir>`: re-run the stored resolved recipe and seed, compare metrics.jsonl. */
export function registerReproduce(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'reproduce <run>',
    're-run a run directory\'s stored recipe and seed into a new run directory and compare the metrics (exit 1 on a difference)',
    (y) => y.positional('run', { type: 'string', demandOption: true, describe: 'the run directory to reproduce' }).option('out', { type: 'string', describe: 'where to write the new run (default: <run>.reproduced-<timestamp>)' }),
    async (a) => {
      const original = openRunDir(h.abs(a.run as string));
      const manifest = original.readJson<Manifest>(RUN_FILES.manifest);
      const loaded = await loadStoredRecipe(original, manifest);
      const defaultOut = `${original.path}.reproduced-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
      const res = await trainLoaded(loaded, {
        out: a.out ? h.abs(a.out) : undefined,
        defaultOut,
        command: ['rlhf', ...h.argv],
        onRunDir: (d) => h.out(`reproducing ${h.rel(original.path)} (seed ${manifest.seed}, backend ${manifest.backend}) into ${h.rel(d)}`),
      });
      const newManifest = openRunDir(res.runDir).readJson<Manifest>(RUN_FILES.manifest);
      if (newManifest.backend !== manifest.backend) h.out(`note: the original ran on ${manifest.backend}, this run on ${newManifest.backend}; only the same backend is expected to match exactly`);
      const cmp = compareMetrics(original.readMetrics(), readMetricsFile(path.join(res.runDir, RUN_FILES.metrics)));
      if (cmp.identical) {
        h.out(`reproduced: ${cmp.stepsCompared} steps, every metric identical (timing excluded)`);
        return;
      }
      if (cmp.first) {
        const f = cmp.first;
        h.out(`NOT reproduced: first difference at step ${f.step}, ${f.key}: stored ${JSON.stringify(f.stored)}, reproduced ${JSON.stringify(f.reproduced)}`);
      } else if (cmp.lengthMismatch) {
        h.out(`NOT reproduced: the stored run has ${cmp.lengthMismatch.stored} metric lines, the new one ${cmp.lengthMismatch.reproduced} (the first ${cmp.stepsCompared} agree)`);
      }
      throw new DiagnosticError(
        { code: 'reproduce/differs', file: res.runDir, message: 'the reproduced metrics differ from the stored run', fix: 'compare the manifests (backend, versions, native kernels); a nondeterministic plugin or a changed data file also shows up here' },
        { exitCode: 1 },
      );
    },
  );
}
