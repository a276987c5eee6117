import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { recipeTarget } from '../run-target';
import { DiagnosticError } from '../../diagnostics';
import { buildRunContainer } from '../../container/build';
import { Tokens } from '../../container/tokens';
import { loadRecipe } from '../../recipe/validate';
import { agentFromCheckpointWith, assertLoadsCheckpoints } from '../../agent/checkpoints';
import { createTensorRuntime } from '../../runtime/backend';
import { RUN_FILES, atomicWriteFileSync, writeJsonAtomic } from '../../runtime/run-dir';
import { generateForEval, perplexity, scoreForEval } from '../../eval/evaluate';
import { EVAL_FILE, type EvalResultRow } from '../../report/report';
import { twoProportionPValue } from '../../eval/stats';

interface Model {
  label: string;
  checkpoint?: string;
  step?: number;
}

/**
 * `rlhf eval <recipe | run-dir>`: generate on the environment's held-out prompts with the base
 * model and each checkpoint, score with the recipe's scorers, and report rates with 95%
 * confidence intervals, mean KL to the base and held-out perplexity.
 */
export function registerEval(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'eval <target>',
    'evaluate the base model and checkpoints on held-out prompts with the recipe\'s scorers (table + JSON)',
    (y) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'a recipe (its agent is the base), or a run directory (base and its final policy)' })
        .option('checkpoint', { type: 'string', array: true, describe: 'checkpoint folders to compare with the base (repeatable)' })
        .option('prompts', { type: 'number', default: 1000, describe: 'held-out prompts to use (at most what the environment has)' })
        .option('batch', { type: 'number', default: 64, describe: 'completions generated per batch' })
        .option('seed', { type: 'number', describe: 'sampling seed (default: the recipe\'s runtime.seed)' })
        .option('set', { type: 'string', array: true, describe: 'override recipe values, e.g. agent.options.sampling.maxNewTokens=32' })
        .option('out', { type: 'string', describe: 'JSON results file (default: <run>/eval.json for a run directory, else eval.json beside the recipe); every completion with its scores goes to <out without .json>-completions.jsonl' }),
    async (a) => {
      const target = h.abs(a.target as string);
      const overrides = (a.set as string[] | undefined) ?? [];
      const { recipeFile, baseDir, run } = recipeTarget(target);
      const models: Model[] = [{ label: 'base', step: 0 }];
      let outFile: string;
      if (run) {
        const final = run.file('final');
        const summary = fs.existsSync(run.file(RUN_FILES.summary)) ? run.readJson<{ steps?: number }>(RUN_FILES.summary) : {};
        if (fs.existsSync(final)) models.push({ label: 'final', checkpoint: final, step: summary.steps });
        outFile = a.out ? h.abs(a.out) : run.file(EVAL_FILE);
      } else {
        outFile = a.out ? h.abs(a.out) : path.join(path.dirname(target), EVAL_FILE);
      }
      for (const c of (a.checkpoint as string[] | undefined) ?? []) models.push({ label: h.rel(c), checkpoint: h.abs(c) });
      const baseLoaded = await loadRecipe(recipeFile, { baseDir, overrides });
      const { recipe } = baseLoaded;
      if (!recipe.agent || !recipe.environment) throw new DiagnosticError({ code: 'eval/needs-slots', file: recipeFile, message: 'rlhf eval needs a recipe with agent and environment slots', fix: 'point it at an RL recipe (or its run directory)' });
      // checkpoints load through the recipe's agent plugin, with the recipe's other agent options
      const agentPlugin = baseLoaded.registry.find('agent', recipe.agent.use);
      for (const m of models) if (m.checkpoint && agentPlugin) assertLoadsCheckpoints(agentPlugin, m.checkpoint, '/agent');
      if (!recipe.scorers.length) throw new DiagnosticError({ code: 'eval/no-scorers', file: recipeFile, pointer: '/scorers', message: 'the recipe names no scorers to evaluate with', fix: 'add scorers: [ { use: <scorer> } ] (rlhf plugins --kind scorer lists them)' });
      const runtime = await createTensorRuntime(recipe.runtime);
      const baseC = await buildRunContainer(baseLoaded, { runtime, only: ['agent', 'environment', 'scorers'] });
      const base = baseC.resolve(Tokens.Agent);
      const env = baseC.resolve(Tokens.Environment);
      const scorers = baseC.resolve(Tokens.Scorers);
      const prompts = env.heldOut(a.prompts as number);
      if (!prompts.length) throw new DiagnosticError({ code: 'eval/no-prompts', file: recipeFile, pointer: '/environment', message: 'the environment has no held-out prompts', fix: 'configure a held-out split in the environment options' });
      const seed = (a.seed as number | undefined) ?? recipe.runtime.seed;
      h.out(`evaluating ${models.length} model(s) on ${prompts.length} held-out prompts, seed ${seed}, backend ${runtime.backend}`);

      const results: EvalResultRow[] = [];
      const completionsFile = outFile.replace(/\.json$/i, '') + '-completions.jsonl';
      const lines: string[] = [];
      for (const m of models) {
        const t0 = Date.now();
        const agent = m.checkpoint ? await agentFromCheckpointWith(agentPlugin!, m.checkpoint, { options: recipe.agent.options, container: await buildRunContainer(baseLoaded, { runtime, only: [] }), pointer: '/agent', resolvePath: (p) => path.resolve(baseLoaded.baseDir, p) }) : base;
        const gen = await generateForEval(runtime.tf, agent, base.policy, prompts, { batchSize: a.batch as number, seed });
        const perSample: Array<Record<string, unknown>> = gen.completions.map((completion, i) => ({ model: m.label, promptId: prompts[i].id, prompt: prompts[i].text, completion, klToBase: gen.klToBase[i] }));
        const row: EvalResultRow = {
          model: m.label,
          step: m.step,
          prompts: prompts.length,
          scorers: await scoreForEval(scorers, gen, perSample),
          klToBase: gen.klToBase.reduce((x, y) => x + y, 0) / gen.klToBase.length,
          perplexity: await perplexity(runtime.tf, agent.policy, prompts.map((p) => p.text), a.batch as number),
        };
        results.push(row);
        for (const r of perSample) lines.push(JSON.stringify(r));
        h.out(`  ${m.label}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (agent !== base) agent.policy.dispose();
      }
      printTable(h, results);
      writeJsonAtomic(outFile, { recipe: recipeFile, seed, backend: runtime.backend, prompts: prompts.length, results });
      atomicWriteFileSync(completionsFile, lines.join('\n') + '\n');
      h.out(`wrote ${h.rel(outFile)} and ${h.rel(completionsFile)}`);
    },
  );
}

function printTable(h: CommandHelpers, rows: EvalResultRow[]): void {
  const names = Object.keys(rows[0].scorers);
  const header = ['model', 'n', ...names.map((n) => (rows[0].scorers[n].rate !== undefined ? `${n} rate [95% CI]` : `${n} mean`)), 'KL to base', 'perplexity'];
  const body = rows.map((r) => [
    r.model,
    String(r.prompts),
    ...names.map((n) => {
      const s = r.scorers[n];
      return s.rate !== undefined ? `${pct(s.rate)} [${pct(s.ciLow!)}, ${pct(s.ciHigh!)}] ${s.flagged}/${r.prompts}` : s.mean.toFixed(4);
    }),
    (r.klToBase ?? 0).toFixed(3),
    (r.perplexity ?? NaN).toFixed(2),
  ]);
  const widths = header.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  h.out('');
  h.out(line(header));
  h.out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) h.out(line(b));
  const base = rows[0];
  for (const r of rows.slice(1)) {
    for (const n of names) {
      const a = base.scorers[n];
      const b = r.scorers[n];
      if (a.rate === undefined || b.rate === undefined || !a.flagged) continue;
      const rel = (b.rate - a.rate) / a.rate;
      const p = twoProportionPValue(a.flagged!, base.prompts, b.flagged!, r.prompts);
      h.out(`${r.model} vs base, ${n}: ${rel >= 0 ? '+' : ''}${(rel * 100).toFixed(1)}% relative (${pct(a.rate)} → ${pct(b.rate)}, two-proportion p = ${p.toPrecision(2)})`);
    }
    if (base.perplexity && r.perplexity) h.out(`${r.model} vs base, perplexity: ${(((r.perplexity - base.perplexity) / base.perplexity) * 100).toFixed(1)}%`);
  }
  h.out('');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
