import * as fs from 'node:fs';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import { Tokens } from '../../container/tokens';
import { CheckpointModels, agentFromCheckpointWith, assertLoadsCheckpoints, checkpointAgent } from '../../agent/checkpoints';
import { ajvToDiagnostics, compileCached } from '../../recipe/ajv';
import { createTensorRuntime } from '../../runtime/backend';
import { Rng } from '../../runtime/rng';
import type { Agent } from '../../contract/agent';
import type { BackendChoice, TensorRuntime } from '../../contract/tensor-runtime';

/**
 * Load an agent from a checkpoint folder alone: its config.json names the plugin package and
 * the agent plugin that wrote it (`"rlhfjs": { "package", "agent" }`), whose declared
 * `fromCheckpoint` builds the agent.
 */
export async function agentFromCheckpoint(dir: string, opts: { backend: BackendChoice; seed: number; sampling?: Record<string, unknown>; cwd: string }): Promise<Agent> {
  return (await agentAndRuntimeFromCheckpoint(dir, opts)).agent;
}

/** {@link agentFromCheckpoint}, with the tensor runtime the agent was built on. */
export async function agentAndRuntimeFromCheckpoint(dir: string, opts: { backend: BackendChoice; seed: number; sampling?: Record<string, unknown>; cwd: string }): Promise<{ agent: Agent; runtime: TensorRuntime }> {
  const found = await checkpointAgent(dir, { searchFrom: [opts.cwd] });
  const agentName = found.def.name;
  const options: Record<string, unknown> = opts.sampling ? { sampling: opts.sampling } : {};
  const validate = compileCached(found.def.options);
  if (!validate(options)) throw new DiagnosticError(ajvToDiagnostics(validate.errors ?? [], { prefix: '', plugin: `agent/${agentName}` }));
  assertLoadsCheckpoints(found, dir);
  const runtime = await createTensorRuntime({ backend: opts.backend, nativeKernels: 'allow' });
  const c = rootContainer.createChildContainer();
  c.registerInstance(Tokens.Runtime, runtime);
  c.registerInstance(Tokens.Rng, new Rng(opts.seed));
  c.registerInstance(Tokens.Models, new CheckpointModels(c, { searchFrom: [opts.cwd] }));
  const agent = await agentFromCheckpointWith(found, dir, { options, container: c, pointer: '', resolvePath: (p) => path.resolve(opts.cwd, p) });
  return { agent, runtime };
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
        .option('backend', { choices: ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'], default: 'wasm' })
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
      const rng = new Rng(a.seed as number).fork('generate');
      const rows = prompts.flatMap((p) => Array.from({ length: a.n as number }, () => p));
      const room = Math.max(1, agent.policy.contextSize - agent.sampling.maxNewTokens);
      const ids = rows.map((p) => agent.policy.encodePrompt(p, room).ids);
      const out = await agent.policy.generate(ids, agent.sampling, rng);
      rows.forEach((p, i) => {
        if (a.json) h.out(JSON.stringify({ prompt: p, completion: out.completions[i], logprob: out.responseLogprobs[i].reduce((x, y) => x + y, 0) }));
        else h.out((h.io.stdout as NodeJS.WriteStream).isTTY ? `${p}\x1b[1m${out.completions[i]}\x1b[0m` : `${p} ▸ ${out.completions[i]}`);
      });
    },
  );
}
