import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DiagnosticError, Tokens, type Agent } from '@rlhfjs/core';
import { buildPlugin, runBuiltJob } from '@rlhfjs/core/testing';
import { tinyModel } from '@rlhfjs/plugin-lm/testing';
import { PromptEnvironment } from '@rlhfjs/plugin-lm';
import { LabelAppender, readLabels } from '../labels';
import { HumanReward, humanReward } from './human-reward';
import { labelJob } from './label-job';
import { TerminalLabeller } from './terminal';
import { WebLabeller } from './web/server';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'human-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const samples = [
  { prompt: 'Say:', completion: ' what crap', promptId: 'a' },
  { prompt: 'Say:', completion: ' lovely day', promptId: 'b' },
  { prompt: 'Say:', completion: ' what crap', promptId: 'a' },
];

test('human reward with the simulated labeller: invert maps toxic (1) to 0 and clean (0) to 1', async () => {
  const labels = path.join(dir, 'sim.jsonl');
  const built = await buildPlugin(humanReward, { labeller: 'simulated', labels, invert: true });
  const r = await built.instance.score(samples, { step: 4, model: 'run-1' });
  expect(r.scores).toEqual([0, 1, 0]);
  expect(r.details).toEqual({ label: [1, 0, 1] });
  await built.instance.close?.();
  built.dispose();
  const { labels: recs } = readLabels(labels);
  expect(recs).toHaveLength(2); // the repeated completion was asked once
  expect(recs[0]).toMatchObject({ labeller: { kind: 'simulated', simulated: true }, source: { model: 'run-1', step: 4 }, promptId: 'a' });

  // not inverted: score = label
  const plain = await buildPlugin(humanReward, { labeller: 'replay', labels, invert: false });
  expect((await plain.instance.score(samples, { step: 5 })).scores).toEqual([1, 0, 1]);
  plain.dispose();
});

test('invert is required: the mapping from label to score is always written in the recipe', async () => {
  await expect(buildPlugin(humanReward, { labeller: 'simulated', labels: path.join(dir, 'x.jsonl') })).rejects.toThrow(/invert/);
});

test('a person at the terminal: skip gets skipScore, quitting mid-batch is a clear error and the answers stay saved', async () => {
  const file = path.join(dir, 'term.jsonl');
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  const appender = new LabelAppender(file);
  const reward = new HumanReward(new TerminalLabeller(appender, { input, output, labellerId: 'p' }), { labeller: 'terminal', labels: file, invert: true, skipScore: 0.25, labellerId: 'p', port: 0, minRating: 2 }, appender);
  input.write('1\ns\n');
  const r = await reward.score(samples, { step: 0 });
  expect(r.scores).toEqual([0, 0.25, 0]);
  input.write('0\nq\n');
  let err: unknown;
  try {
    await reward.score([{ prompt: 'x', completion: 'one' }, { prompt: 'x', completion: 'two' }], { step: 1 });
  } catch (e) {
    err = e;
  }
  expect(DiagnosticError.is(err)).toBe(true);
  expect((err as Error).message).toMatch(/1 of 2 completions of step 1 unanswered/);
  await reward.close();
  expect(readLabels(file).labels.map((l) => (l.type === 'pointwise' ? l.label : 'pair'))).toEqual([1, null, 0]);
});

describe('label job', () => {
  function services(envPrompts: string[]) {
    return (c: import('tsyringe').DependencyContainer) => {
      const policy = tinyModel(tf);
      const agent: Agent = { policy, sampling: { maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, stop: [] }, source: 'tiny random init' };
      c.registerInstance(Tokens.Agent, agent);
      c.registerInstance(
        Tokens.Environment,
        new PromptEnvironment(
          envPrompts.map((text, i) => ({ id: `p${i}`, text })),
          [{ id: 'h0', text: 'the dog' }],
        ),
      );
    };
  }

  test('samples completions from the agent and labels them; a rerun asks nothing new', async () => {
    const labels = path.join(dir, 'job.jsonl');
    const opts = { labeller: 'simulated', labels, prompts: 3, samplesPerPrompt: 2, batchSize: 4 };
    const built = await buildPlugin(labelJob, opts, { services: services(['the cat', 'a quick', 'we went', 'lol that']) });
    const res = await runBuiltJob(built);
    built.dispose();
    expect(res.summary).toMatchObject({ mode: 'pointwise', unanswered: 0, labeller: { kind: 'simulated', simulated: true } });
    const first = readLabels(labels);
    expect(first.labels.length).toBe(res.summary.items);
    expect(first.labels.length).toBeGreaterThanOrEqual(3);
    expect(first.labels.every((l) => l.source?.model === 'tiny random init' && l.source.step === -1)).toBe(true);
    const prompts = new Set(first.labels.map((l) => l.prompt));
    expect(prompts.size).toBe(3);

    const again = await buildPlugin(labelJob, opts, { services: services(['the cat', 'a quick', 'we went', 'lol that']) });
    await runBuiltJob(again);
    again.dispose();
    expect(readLabels(labels).lines).toHaveLength(first.lines.length);
  });

  test('pair mode shows two completions per prompt', async () => {
    const labels = path.join(dir, 'pairs.jsonl');
    const built = await buildPlugin(labelJob, { labeller: 'simulated', labels, prompts: 1, mode: 'pair', split: 'heldOut' }, { services: services(['the cat']) });
    const res = await runBuiltJob(built);
    built.dispose();
    const recs = readLabels(labels).labels;
    expect(recs.length + (res.summary.identicalPairsDropped as number)).toBe(1);
    for (const r of recs) expect(r).toMatchObject({ type: 'pair', prompt: 'the dog' });
  });
});

test('human reward through the web page: training waits for the answers posted to the page', async () => {
  const labels = path.join(dir, 'web.jsonl');
  const built = await buildPlugin(humanReward, { labeller: 'web', labels, invert: true, labellerId: 'rater' });
  const reward = built.instance as HumanReward;
  expect(reward.labeller).toBeInstanceOf(WebLabeller);
  // the URL (with its token) is printed on stderr when the server starts; the labeller exposes it too
  const url = await (reward.labeller as WebLabeller).start();
  const pending = reward.score(samples, { step: 2, model: 'run-x' });
  const api = (p: string, body?: unknown) =>
    fetch(url.replace('/?', `${p}?`), body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }).then((r) => r.json());
  let state = await api('/api/state');
  for (let k = 0; k < 50 && state.total === 0; k++) state = await api('/api/state');
  expect(state.total).toBe(2); // the repeated completion is asked once
  await api('/api/label', { id: state.items[0].id, label: 1 });
  await api('/api/label', { id: state.items[1].id, label: 0 });
  const r = await pending;
  expect(r.scores).toEqual([0, 1, 0]);
  await reward.close();
  built.dispose();
  expect(readLabels(labels).labels.map((l) => [l.labeller.id, l.source?.step])).toEqual([
    ['rater', 2],
    ['rater', 2],
  ]);
});
