import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { makeProject } from '@rlhfjs/core/testing';
import { REPO, FIXTURE_PLUGIN } from '../helpers/paths';

export const CLI = path.join(REPO, 'core', 'bin', 'rlhf.js');

const TEXT = `the cat sat on the mat and the dog ran to the park .
a small bird sang a song in the tall green tree .
we walked home slowly after the long day at work .
she said that the weather would be nice tomorrow .
they played games and laughed until the sun went down .`;

/**
 * A user's project with the built-in plugin packages and the fixture third-party package
 * installed, a tiny tokenizer, a prompt file, and an RL recipe for a tiny random-init GPT.
 * Small enough that a few PPO iterations take seconds.
 */
export function makeRlProject(opts: { steps: number; checkpointEvery: number; backend?: string }) {
  const p = makeProject({
    '@rlhfjs/plugin-lm': path.join(REPO, 'plugins', 'lm'),
    '@rlhfjs/plugin-algorithms': path.join(REPO, 'plugins', 'algorithms'),
    '@rlhfjs/plugin-loggers': path.join(REPO, 'plugins', 'loggers'),
    'rlhf-plugin-fixture': FIXTURE_PLUGIN,
  });
  const { ByteBPETokenizer } = require(path.join(REPO, 'plugins', 'lm', 'dist', 'tokenizer', 'byte-bpe.js'));
  const tok = ByteBPETokenizer.train(TEXT.split('\n'), { vocabSize: 300 });
  p.write('tokenizer.json', JSON.stringify(tok.toJSON()));
  const prompts = ['the cat', 'a small bird', 'we walked', 'she said that', 'they played', 'the dog ran', 'in the tall', 'after the long', 'the sun', 'a song'];
  p.write('prompts.jsonl', prompts.map((t) => JSON.stringify({ prompt: t })).join('\n') + '\n');
  p.write(
    'tiny-ppo.yaml',
    `name: tiny-ppo
plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms", "@rlhfjs/plugin-loggers", rlhf-plugin-fixture]
agent:
  use: gpt
  options:
    init: { contextSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { file: tokenizer.json } }
    valueHead: true
    sampling: { maxNewTokens: 6 }
environment: { use: prompts, options: { path: prompts.jsonl, heldOutFraction: 0.2 } }
rewards: [ { use: length-bonus, options: { scale: 0.1 } } ]
algorithm: { use: ppo, options: { promptsPerIteration: 4, samplesPerPrompt: 1, minibatchSize: 2, epochs: 2, learningRate: 0.001 } }
klController: { use: adaptive, options: {} }
loggers: [ { use: csv } ]
runtime: { backend: ${opts.backend ?? 'wasm'}, seed: 5, steps: ${opts.steps}, checkpointEvery: ${opts.checkpointEvery}, keepCheckpoints: 2, nativeKernels: forbid }
`,
  );
  return p;
}

export function rlhfSync(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function rlhfAsync(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function latestStep(runDir: string): number {
  const f = path.join(runDir, 'checkpoints', 'latest.json');
  try {
    return (JSON.parse(fs.readFileSync(f, 'utf8')) as { step: number }).step;
  } catch {
    return 0;
  }
}

/**
 * Start `rlhf <args>` and SIGKILL it as soon as its run directory holds a checkpoint of at least
 * `step` (polling checkpoints/latest.json); rejects when the run ends or writes none in time.
 * Resolves once the process is gone, with whether it had already finished (summary.json written).
 */
export async function killAfterCheckpoint(args: string[], cwd: string, runDir: string, step: number): Promise<{ finished: boolean }> {
  const child = rlhfAsync(args, cwd);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  let done = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => ((done = true), resolve())));
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (latestStep(runDir) >= step) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      } else if (done || Date.now() - started > 200_000) {
        clearInterval(timer);
        reject(new Error(`the run ${done ? 'ended' : 'wrote no checkpoint'} before step ${step}; stderr: ${stderr}`));
      }
    }, 10);
  });
  await exited;
  return { finished: fs.existsSync(path.join(runDir, 'summary.json')) };
}
