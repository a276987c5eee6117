import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { readMetricsFile, type MetricsRecord } from '@rlhfjs/core';
import { REPO } from '../helpers/paths';
import { CLI, latestStep, makeRlProject, rlhfAsync, rlhfSync } from './rl-project';

jest.setTimeout(300_000);

/**
 * Kill and resume the rl job for every algorithm: an online one at the smallest batch shape that
 * still makes 2 epochs × 2 minibatches per iteration (4 Adam steps per iteration), and DPO. The
 * killed run is held still by the fixture logger `halt` while it logs step 6, after its step-5
 * checkpoint (so metrics.jsonl and samples.jsonl hold two steps past the checkpoint), then
 * SIGKILLed and resumed with `rlhf train --resume`. At step 5 Adam has taken 20 steps (online) or
 * 5 (DPO): step counts at which β₂^t computed afresh differs from the running product in float32,
 * so the optimiser state must be restored exactly, not recomputed.
 */
const STEPS = 7;
const CHECKPOINT = 5;
const HALT_AT = 6;

const TINY_GPT = '{ contextSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { file: tokenizer.json } }';
const RUNTIME = `runtime: { backend: wasm, seed: 5, steps: ${STEPS}, checkpointEvery: ${CHECKPOINT}, keepCheckpoints: 2, nativeKernels: forbid }`;
const PLUGINS = 'plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms", rlhf-plugin-fixture, rlhf-plugin-halt]';

function onlineRecipe(algorithm: string, batch: string, valueHead: boolean): string {
  return `name: resume-${algorithm}
${PLUGINS}
agent: { use: gpt, options: { init: ${TINY_GPT}, valueHead: ${valueHead}, sampling: { maxNewTokens: 6 } } }
environment: { use: prompts, options: { path: prompts.jsonl, heldOutFraction: 0.2 } }
rewards: [ { use: length-bonus, options: { scale: 0.1 } } ]
rewardProcessing: { normalize: true }
algorithm: { use: ${algorithm}, options: { ${batch}, epochs: 2, learningRate: 0.001 } }
klController: { use: adaptive, options: {} }
loggers: [ { use: halt } ]
${RUNTIME}
`;
}

// 2 prompts × 1 sample, minibatches of 1; RLOO and GRPO compare the samples of a prompt, so 1 prompt × 2 samples
const RECIPES: Record<string, string> = {
  ppo: onlineRecipe('ppo', 'promptsPerIteration: 2, samplesPerPrompt: 1, minibatchSize: 1', true),
  reinforce: onlineRecipe('reinforce', 'promptsPerIteration: 2, samplesPerPrompt: 1, minibatchSize: 1', false),
  rloo: onlineRecipe('rloo', 'promptsPerIteration: 1, samplesPerPrompt: 2, minibatchSize: 1', false),
  grpo: onlineRecipe('grpo', 'promptsPerIteration: 1, samplesPerPrompt: 2, minibatchSize: 1', false),
  dpo: `name: resume-dpo
${PLUGINS}
agent: { use: gpt, options: { init: ${TINY_GPT}, sampling: { maxNewTokens: 6 } } }
algorithm: { use: dpo, options: { pairsFile: pairs.jsonl, minibatchSize: 1, learningRate: 0.001 } }
loggers: [ { use: halt } ]
${RUNTIME}
`,
};

const PAIRS = [
  { prompt: 'the cat', chosen: ' sat on the mat .', rejected: ' ran to the' },
  { prompt: 'a small bird', chosen: ' sang a song .', rejected: ' the the' },
  { prompt: 'we walked', chosen: ' home slowly .', rejected: ' park park' },
];

let project: ReturnType<typeof makeRlProject>;
beforeAll(() => {
  project = makeRlProject({ steps: STEPS, checkpointEvery: CHECKPOINT });
  fs.symlinkSync(path.join(REPO, 'test', 'fixtures', 'halt-logger'), path.join(project.dir, 'node_modules', 'rlhf-plugin-halt'), 'dir');
  project.write('pairs.jsonl', PAIRS.map((p) => JSON.stringify(p)).join('\n') + '\n');
  for (const [name, text] of Object.entries(RECIPES)) project.write(`${name}.yaml`, text);
});
afterAll(() => project.cleanup());

function finished(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  child.stdout!.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Every metric but timing (`time`, `perf/*`). */
function learning(rows: MetricsRecord[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('perf/'))));
}

function finalFiles(run: string): Record<string, string> {
  const dir = path.join(run, 'final');
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

describe('rl job: SIGKILL after a checkpoint, resume, and every metric equals the uninterrupted run', () => {
  test.each(Object.keys(RECIPES))('%s', async (name) => {
    const straightDir = path.join(project.dir, 'runs', `${name}-straight`);
    const killedDir = path.join(project.dir, 'runs', `${name}-killed`);
    // the uninterrupted run and the run to kill, side by side
    const straight = finished(rlhfAsync(['train', `${name}.yaml`, '--out', straightDir], project.dir));
    const child = spawn(process.execPath, [CLI, 'train', `${name}.yaml`, '--out', killedDir], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RLHF_TEST_HALT_AT_STEP: String(HALT_AT) } });
    const killed = finished(child);
    let exited = false;
    void killed.then(() => (exited = true));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.existsSync(path.join(killedDir, 'halted'))) {
          clearInterval(timer);
          resolve();
        } else if (exited) {
          clearInterval(timer);
          killed.then((r) => reject(new Error(`the run ended before step ${HALT_AT}: ${r.stderr}`)), reject);
        }
      }, 20);
    });
    expect(latestStep(killedDir)).toBe(CHECKPOINT);
    child.kill('SIGKILL');
    await killed;
    // the killed run got past its checkpoint: steps 5 and 6 are logged and must be dropped on resume
    expect(readMetricsFile(path.join(killedDir, 'metrics.jsonl')).map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);

    const resumed = rlhfSync(['train', '--resume', killedDir], project.dir);
    expect({ code: resumed.code, stderr: resumed.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    const s = await straight;
    expect({ code: s.code, stderr: s.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });

    const a = readMetricsFile(path.join(straightDir, 'metrics.jsonl'));
    const b = readMetricsFile(path.join(killedDir, 'metrics.jsonl'));
    expect(a.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(learning(b)).toEqual(learning(a));
    if (name !== 'dpo') {
      const samples = (run: string) => fs.readFileSync(path.join(run, 'samples.jsonl'), 'utf8');
      expect(samples(killedDir)).toBe(samples(straightDir));
    }
    expect(finalFiles(killedDir)).toEqual(finalFiles(straightDir));
    expect(JSON.parse(fs.readFileSync(path.join(killedDir, 'manifest.json'), 'utf8')).resumedAt).toHaveLength(1);
  });
});
