import * as fs from 'node:fs';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import { Tokens } from '../../container/tokens';
import { loadPackage } from '../../plugin/load-package';
import { PluginRegistry } from '../../plugin/registry';
import { ajvToDiagnostics, compileCached } from '../../recipe/ajv';
import { createTensorRuntime } from '../../runtime/backend';
import { Rng } from '../../runtime/rng';
import type { Agent } from '../../contract/agent';
import type { BackendChoice } from '../../contract/tensor-runtime';

/**
 * Load an agent from a checkpoint folder alone: its config.json names the plugin package and
 * the agent plugin that wrote it (`"rlhfjs": { "package", "agent" }`).
 */
export async function agentFromCheckpoint(dir: string, opts: { backend: BackendChoice; seed: number; sampling?: Record<string, unknown>; cwd: string }): Promise<Agent> {
  const cfgFile = path.join(dir, 'config.json');
  if (!fs.existsSync(cfgFile)) {
    throw new DiagnosticError({ code: 'checkpoint/missing', file: dir, message: `${dir} is not a checkpoint folder (no config.json)`, fix: 'pass a folder written by a policy (e.g. recipes/models/base or <run>/final)' });
  }
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as { rlhfjs?: { package?: string; agent?: string } };
  const pkgName = cfg.rlhfjs?.package;
  const agentName = cfg.rlhfjs?.agent;
  if (!pkgName || !agentName) {
    throw new DiagnosticError({ code: 'checkpoint/unknown-writer', file: cfgFile, message: 'config.json does not say which plugin wrote it (no "rlhfjs": { "package", "agent" })', fix: 'use a checkpoint written by an rlhfjs agent plugin' });
  }
  let pkg;
  try {
    pkg = await loadPackage(pkgName, dir);
  } catch {
    pkg = await loadPackage(pkgName, opts.cwd);
  }
  const registry = new PluginRegistry().add(pkgName, pkg.exported, { version: pkg.version });
  const found = registry.find('agent', agentName);
  if (!found) throw new DiagnosticError(registry.unknown('agent', agentName, '/rlhfjs/agent'));
  const options: Record<string, unknown> = { checkpoint: dir, ...(opts.sampling ? { sampling: opts.sampling } : {}) };
  const validate = compileCached(found.def.options);
  if (!validate(options)) throw new DiagnosticError(ajvToDiagnostics(validate.errors ?? [], { prefix: '', plugin: `agent/${agentName}` }));
  const runtime = await createTensorRuntime({ backend: opts.backend, nativeKernels: 'allow' });
  const c = rootContainer.createChildContainer();
  c.registerInstance(Tokens.Runtime, runtime);
  c.registerInstance(Tokens.Rng, new Rng(opts.seed));
  return (await found.def.create({ options, container: c, pointer: '', resolvePath: (p) => path.resolve(opts.cwd, p) })) as Agent;
}

/** `rlhf generate <checkpoint>`: print completions for prompts from the command line or a file. */
export function registerGenerate(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'generate <checkpoint>',
    'load a checkpoint and print completions for prompts given on the command line or in a file',
    (y) =>
      y
        .positional('checkpoint', { type: 'string', demandOption: true })
        .option('prompt', { alias: 'p', type: 'string', array: true, describe: 'a prompt (repeatable)' })
        .option('file', { type: 'string', describe: 'prompts, one per line (or JSONL with a "prompt" field)' })
        .option('n', { type: 'number', default: 1, describe: 'completions per prompt' })
        .option('max-new-tokens', { type: 'number', describe: 'most tokens per completion' })
        .option('temperature', { type: 'number' })
        .option('top-k', { type: 'number' })
        .option('top-p', { type: 'number' })
        .option('stop', { type: 'string', array: true, describe: 'strings that end a completion' })
        .option('seed', { type: 'number', default: 0 })
        .option('backend', { choices: ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], default: 'wasm' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON lines' }),
    async (a) => {
      const prompts: string[] = [...((a.prompt as string[] | undefined) ?? [])];
      if (a.file) {
        const file = h.abs(a.file);
        const text = fs.readFileSync(file, 'utf8');
        text.split('\n').forEach((line, i) => {
          if (!line.trim()) return;
          if (line.trimStart().startsWith('{')) {
            let obj: { prompt?: unknown };
            try {
              obj = JSON.parse(line) as { prompt?: unknown };
            } catch {
              throw new DiagnosticError({ code: 'data/bad-jsonl', file, line: i + 1, message: 'this line is not valid JSON', fix: 'one JSON object per line, e.g. {"prompt": "..."}' });
            }
            if (typeof obj.prompt !== 'string') throw new DiagnosticError({ code: 'data/missing-field', file, line: i + 1, message: 'the line has no string field "prompt"', fix: 'write {"prompt": "..."}' });
            prompts.push(obj.prompt);
          } else prompts.push(line);
        });
      }
      if (!prompts.length) throw new DiagnosticError({ code: 'cli/usage', message: 'no prompts given', fix: 'pass --prompt "text" (repeatable) or --file prompts.txt' });
      const sampling: Record<string, unknown> = {};
      if (a['max-new-tokens'] !== undefined) sampling.maxNewTokens = a['max-new-tokens'];
      if (a.temperature !== undefined) sampling.temperature = a.temperature;
      if (a['top-k'] !== undefined) sampling.topK = a['top-k'];
      if (a['top-p'] !== undefined) sampling.topP = a['top-p'];
      if (a.stop) sampling.stop = a.stop;
      const agent = await agentFromCheckpoint(h.abs(a.checkpoint as string), { backend: a.backend as BackendChoice, seed: a.seed as number, sampling: Object.keys(sampling).length ? sampling : undefined, cwd: h.io.cwd });
      const tok = agent.policy.tokenizer;
      const rng = new Rng(a.seed as number).fork('generate');
      const rows = prompts.flatMap((p) => Array.from({ length: a.n as number }, () => p));
      const max = Math.max(1, agent.policy.contextSize - agent.sampling.maxNewTokens);
      const ids = rows.map((p) => {
        let x = tok.encode(p);
        if (tok.bosId !== undefined) x = [tok.bosId, ...x];
        return x.length > max ? x.slice(x.length - max) : x;
      });
      const out = await agent.policy.generate(ids, agent.sampling, rng);
      rows.forEach((p, i) => {
        if (a.json) h.out(JSON.stringify({ prompt: p, completion: out.completions[i], logprob: out.responseLogprobs[i].reduce((x, y) => x + y, 0) }));
        else h.out((h.io.stdout as NodeJS.WriteStream).isTTY ? `${p}\x1b[1m${out.completions[i]}\x1b[0m` : `${p} ▸ ${out.completions[i]}`);
      });
    },
  );
}
