import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { reportError } from './output';
import { DiagnosticError, formatDiagnostic } from '../diagnostics';
import { loadRecipe } from '../recipe/validate';
import { train, resume } from '../runner/run';
import { knownPlugins } from './plugins-info';
import { bundleSchema } from './schema-bundle';
import { PLUGIN_KINDS, SINGLE_SLOTS } from '../plugin/kinds';
import { writeJsonAtomic } from '../runtime/atomic';
import { extraCommands } from './commands';
import { assertPlanFits, formatMemoryPlan } from '../plan/memory-plan';
import { recipeMemoryPlan } from '../plan/recipe-plan';
import { VALIDATE_TRUST, describePackage } from '../plugin/trust';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

/**
 * The `rlhf` command. Returns the exit code: 0 success, 2 invalid recipe or usage, 1 failure
 * while running. Never calls process.exit, so tests can drive it.
 */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  const verbose = argv.includes('--verbose');
  let code = 0;
  let usageError: string | undefined;
  const out = (s: string): void => void io.stdout.write(s.endsWith('\n') ? s : s + '\n');
  const rel = (p: string): string => path.relative(io.cwd, path.resolve(io.cwd, p)) || '.';
  const abs = (p: string): string => path.resolve(io.cwd, p);

  const cli: Argv = yargs(argv)
    .scriptName('rlhf')
    .usage('$0 <command> [options]\n\nDeclarative RLHF on TensorFlow.js: recipes name plugins, a DI container wires them, the runner trains.')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces of failures' })
    .command(
      'validate <recipes..>',
      'check recipes (envelope, plugin packages, every plugin\'s options) without loading a tensor backend',
      (y) =>
        y
          .positional('recipes', { type: 'string', array: true, demandOption: true })
          .option('set', { type: 'string', array: true, describe: 'override path=value (repeatable)' })
          .option('plan', { type: 'boolean', default: false, describe: 'also print the memory plan (peak tensor memory from model sizes, LoRA, batch sizes) and refuse a run that cannot fit its backend' })
          .epilogue(VALIDATE_TRUST),
      async (a) => {
        let bad = 0;
        for (const file of a.recipes as string[]) {
          try {
            const loaded = await loadRecipe(abs(file), { overrides: a.set as string[] | undefined });
            const { recipe, registry, packages } = loaded;
            const slots = SINGLE_SLOTS.flatMap((s) => (recipe[s] ? [`${s}=${recipe[s].use}`] : []));
            if (recipe.rewards.length) slots.push(`rewards=${recipe.rewards.map((r) => r.use).join('+')}`);
            out(`ok  ${rel(file)}  (job ${recipe.job.use}${slots.length ? '; ' + slots.join(', ') : ''}; ${registry.all().length} plugins from ${recipe.plugins.length} packages)`);
            for (const pkg of packages) out(`    ${describePackage(pkg, io.cwd)}`);
            if (a.plan) {
              // "auto" picks a backend at run time; the plan assumes the embedded default, wasm
              const backend = recipe.runtime.backend === 'auto' ? 'wasm' : recipe.runtime.backend;
              const planned = await recipeMemoryPlan(loaded, backend);
              if (!planned) out('    memory plan: not available (not an rl job, or the agent plugin reports no model size)');
              else {
                for (const l of formatMemoryPlan(planned.plan)) out(`    ${l}`);
                for (const n of planned.notes) out(`    note: ${n}`);
                assertPlanFits(planned.plan, planned.input, abs(file));
              }
            }
          } catch (err) {
            bad++;
            code = Math.max(code, reportError(err, verbose, io.stderr));
          }
        }
        if (bad) io.stderr.write(`${bad} of ${(a.recipes as string[]).length} recipes invalid\n`);
      },
    )
    .command(
      'train [recipe]',
      'run a recipe (RL or any job) and write a run directory',
      (y) =>
        y
          .positional('recipe', { type: 'string', describe: 'recipe file (YAML or JSON)' })
          .option('set', { type: 'string', array: true, describe: 'override path=value, e.g. --set algorithm.options.learningRate=1e-5 (repeatable)' })
          .option('out', { type: 'string', describe: 'run directory to create (default: <runtime.outputDir>/<name>-<timestamp>)' })
          .option('resume', { type: 'string', describe: 'continue the run in this directory from its last checkpoint' }),
      async (a) => {
        const command = ['rlhf', ...argv];
        if (a.resume) {
          if (a.recipe) throw new DiagnosticError({ code: 'cli/usage', message: '--resume takes the run directory; the recipe is the one stored there', fix: `run: rlhf train --resume ${a.resume}` });
          const res = await resume(abs(a.resume), { overrides: a.set as string[] | undefined, command });
          out(`run finished: ${rel(res.runDir)}`);
          return;
        }
        if (!a.recipe) throw new DiagnosticError({ code: 'cli/usage', message: 'train needs a recipe file (or --resume <run-dir>)', fix: 'e.g. rlhf train recipes/detox/3-ppo.yaml' });
        const res = await train(abs(a.recipe), { overrides: a.set as string[] | undefined, out: a.out ? abs(a.out) : undefined, command, onRunDir: (d) => out(`run directory: ${rel(d)}`) });
        out(`run finished: ${rel(res.runDir)}`);
        const s = res.result.summary;
        if (s && Object.keys(s).length) out(JSON.stringify(s, null, 2));
      },
    )
    .command(
      'schema',
      'print (or write) the recipe schema bundled with the options of every installed plugin, for editors',
      (y) => y.option('out', { type: 'string', describe: 'write to this file instead of stdout' }).option('plugin', { type: 'string', array: true, describe: 'also include these plugin packages' }),
      async (a) => {
        const registry = await knownPlugins(io.cwd, (a.plugin as string[] | undefined) ?? []);
        const bundle = bundleSchema(registry);
        if (a.out) {
          writeJsonAtomic(abs(a.out), bundle);
          out(`wrote ${rel(a.out)} (${registry.all().length} plugins)`);
        } else out(JSON.stringify(bundle, null, 2));
      },
    )
    .command(
      'plugins',
      'list the installed plugins: kind, name, package, description and options',
      (y) => y.option('plugin', { type: 'string', array: true, describe: 'also load these plugin packages' }).option('kind', { choices: PLUGIN_KINDS as unknown as string[], describe: 'only this kind' }),
      async (a) => {
        const registry = await knownPlugins(io.cwd, (a.plugin as string[] | undefined) ?? []);
        for (const kind of PLUGIN_KINDS) {
          if (a.kind && a.kind !== kind) continue;
          const names = registry.names(kind);
          if (!names.length) continue;
          out(`\n${kind}`);
          for (const name of names) {
            const p = registry.find(kind, name)!;
            out(`  ${name}  (${p.packageName}${p.packageVersion ? '@' + p.packageVersion : ''})\n    ${p.def.description}`);
            const props = (p.def.options as { properties?: Record<string, { type?: unknown; default?: unknown; description?: string; enum?: unknown[] }> }).properties ?? {};
            for (const [k, s] of Object.entries(props)) {
              const type = s.enum ? s.enum.map((v) => JSON.stringify(v)).join('|') : Array.isArray(s.type) ? s.type.join('|') : String(s.type ?? 'any');
              const def = s.default !== undefined ? ` = ${JSON.stringify(s.default)}` : '';
              out(`      ${k}: ${type}${def}${s.description ? '  ' + s.description : ''}`);
            }
          }
        }
      },
    );
  for (const register of extraCommands) register(cli, { io, out, abs, rel, argv });
  cli
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version(readVersion())
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      usageError = msg;
    })
    .wrap(Math.min(110, (process.stdout as NodeJS.WriteStream).columns ?? 100));

  try {
    await cli.parseAsync();
  } catch (err) {
    return reportError(err, verbose, io.stderr);
  }
  if (usageError) {
    io.stderr.write(`${formatDiagnostic({ code: 'cli/usage', message: usageError, fix: 'rlhf --help lists the commands and options' })}\n`);
    return 2;
  }
  return code;
}

function readVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Entry point of bin/rlhf.js. */
export function run(): void {
  // `rlhf plugins | head` closes the pipe early: that is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError(err, process.argv.includes('--verbose'));
    },
  );
}
