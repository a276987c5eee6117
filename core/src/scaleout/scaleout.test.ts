import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { PolicyModel } from '../contract/agent';
import { RewardSet } from '../runner/reward-set';
import { sampleStream } from './streams';
import { mergeChunks, splitPrompts, type ChunkOutput } from './chunk';
import { loadPublishedWeights, publishWeights, runKey } from './weights';
import { parseRedisUrl, redactRedisUrl } from './redis';
import { checkResult } from './queue';
import { localThreadSplit } from './threads';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('localThreadSplit', () => {
  const rt = (threads: number, workers?: { count?: number; offPolicySteps?: number }) => ({ threads, workers: workers as never });
  it('leaves the threads alone when runtime.threads is set or no local worker starts', () => {
    expect(localThreadSplit(rt(2, { count: 2, offPolicySteps: 1 }), 8)).toBeNull();
    expect(localThreadSplit(rt(0), 8)).toBeNull();
    expect(localThreadSplit(rt(0, { count: 0, offPolicySteps: 1 }), 8)).toBeNull();
    expect(localThreadSplit(rt(0, {}), 8)).toBeNull();
  });
  it('synchronously, the workers share the cores and the trainer keeps all of them', () => {
    expect(localThreadSplit(rt(0, { count: 2, offPolicySteps: 0 }), 8)).toEqual({ trainer: 0, worker: 4 });
    expect(localThreadSplit(rt(0, { count: 3 }), 8)).toEqual({ trainer: 0, worker: 2 });
    expect(localThreadSplit(rt(0, { count: 4 }), 2)).toEqual({ trainer: 0, worker: 1 });
  });
  it('one step off-policy, the trainer and the workers compute at once and share the cores, one thread at least', () => {
    expect(localThreadSplit(rt(0, { count: 1, offPolicySteps: 1 }), 2)).toEqual({ trainer: 1, worker: 1 });
    expect(localThreadSplit(rt(0, { count: 3, offPolicySteps: 1 }), 16)).toEqual({ trainer: 4, worker: 4 });
    expect(localThreadSplit(rt(0, { count: 2, offPolicySteps: 1 }), 2)).toEqual({ trainer: 1, worker: 1 });
  });
});

describe('sampleStream', () => {
  it('is a function of (seed, iteration, prompt, sample) alone, and each of them changes it', () => {
    const draw = (...k: [number, number, number, number]) => {
      const r = sampleStream(...k);
      return [r.nextUint32(), r.nextUint32()];
    };
    expect(draw(1, 2, 3, 4)).toEqual(draw(1, 2, 3, 4));
    const seen = new Set([draw(1, 2, 3, 4), draw(2, 2, 3, 4), draw(1, 3, 3, 4), draw(1, 2, 4, 4), draw(1, 2, 3, 5), draw(1, 3, 2, 4)].map((d) => d.join(',')));
    expect(seen.size).toBe(6);
  });
});

describe('RewardSet.combine', () => {
  const source = (scores: number[]) => ({ score: async () => ({ scores }) });
  it('weights, sums, normalises and clips the raw scores as score() does (values worked out by hand)', async () => {
    const set = () => new RewardSet([{ name: 'a', weight: 2, source: source([1, 2, 3]) }, { name: 'b', weight: -1, source: source([0.5, 0, 1]) }], { normalize: true, clip: 0.9, shuffle: false });
    const samples = [0, 1, 2].map(() => ({ prompt: 'p', completion: 'c' }));
    const direct = await set().score(samples, { step: 0 });
    const s2 = set();
    const viaRaw = s2.combine(await s2.scoreSources(samples, { step: 0 }), 0, 3);
    // 2·[1,2,3] − [0.5,0,1] = [1.5, 4, 5]; mean 3.5, sample std √((4 + 0.25 + 2.25)/2) = √3.25
    const sd = Math.sqrt(3.25);
    const want = [(1.5 - 3.5) / sd, (4 - 3.5) / sd, (5 - 3.5) / sd].map((x) => Math.max(-0.9, Math.min(0.9, x)));
    expect(direct.scores).toEqual(want);
    expect(viaRaw.scores).toEqual(want);
    expect(viaRaw.perSource).toEqual({ a: [1, 2, 3], b: [0.5, 0, 1] });
  });
});

describe('chunks', () => {
  it('split prompts in order with their batch index, and merge outputs back in order', () => {
    const prompts = ['a', 'b', 'c', 'd', 'e'].map((t) => ({ id: t, text: t }));
    expect(splitPrompts(prompts, 2).map((c) => c.map((p) => `${p.index}${p.text}`))).toEqual([['0a', '1b'], ['2c', '3d'], ['4e']]);
    const out = (rows: number[], behaviour: 'none' | 'logprobs' | 'values' = 'none'): ChunkOutput => ({
      rollout: { promptIds: rows.map((r) => [r]), responseIds: rows.map((r) => [r, r]), responseLogprobs: rows.map((r) => [-r]), prompts: rows.map(String), completions: rows.map(String), values: rows.map((r) => [r / 10]) },
      refLogprobs: rows.map((r) => [-2 * r]),
      ...(behaviour === 'none' ? {} : { behaviour: { logprobs: rows.map((r) => [-3 * r]), ...(behaviour === 'values' ? { values: rows.map((r) => [r + 0.5]) } : {}) } }),
      scores: { bySource: [rows.map((r) => r * 3)], details: { 'x/y': rows.map((r) => `d${r}`) } },
      promptIds: rows.map(String),
      promptTexts: rows.map(String),
      timings: { generate_s: 1, reference_s: 2, behaviour_s: behaviour === 'none' ? 0 : 0.5, score_s: 3 },
    });
    const m = mergeChunks([out([0, 1]), out([2])]);
    expect(m.rollout.responseIds).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(m.rollout.values).toEqual([[0], [0.1], [0.2]]);
    expect(m.refLogprobs).toEqual([[-0], [-2], [-4]]);
    expect(m.scores).toEqual({ bySource: [[0, 3, 6]], details: { 'x/y': ['d0', 'd1', 'd2'] } });
    expect(m.timings).toEqual({ generate_s: 2, reference_s: 4, behaviour_s: 0, score_s: 6 });
    expect(m.behaviour).toBeUndefined();
    // the sampling policy's numbers, asked for a rollout used one update later, are joined the same way
    const b = mergeChunks([out([0, 1], 'values'), out([2], 'values')]);
    expect(b.behaviour).toEqual({ logprobs: [[-0], [-3], [-6]], values: [[0.5], [1.5], [2.5]] });
    expect(b.timings.behaviour_s).toBe(1);
    expect(mergeChunks([out([0, 1], 'logprobs'), out([2], 'logprobs')]).behaviour).toEqual({ logprobs: [[-0], [-3], [-6]] });
    // a chunk without them (another worker's build): none, so the trainer recomputes the old policy
    expect(mergeChunks([out([0, 1], 'values'), out([2])]).behaviour).toBeUndefined();
  });
});

describe('checkResult', () => {
  const job = { run: 'r', attempt: 'a', iteration: 4, version: 3, weights: 'r/v-000003.safetensors', chunk: 1, seed: 1, samplesPerPrompt: 2, prompts: [{ index: 2, text: 'p', id: 'p' }], model: 'm' };
  const result = (o: object = {}) => ({
    run: 'r', attempt: 'a', iteration: 4, version: 3, chunk: 1,
    rollout: { promptIds: [[1], [1]], responseIds: [[2], [3]], responseLogprobs: [[-1], [-1]], prompts: ['p', 'p'], completions: ['x', 'y'] },
    refLogprobs: [[-1], [-1]],
    scores: { bySource: [[0, 0]], details: {} },
    promptIds: ['p', 'p'],
    promptTexts: ['p', 'p'],
    timings: { generate_s: 0, reference_s: 0, behaviour_s: 0, score_s: 0 },
    ...o,
  });
  it('takes the job\'s own result, and refuses another version, a wrong row count, or missing sampling-policy numbers', () => {
    expect(() => checkResult(result(), job)).not.toThrow();
    expect(() => checkResult(result({ version: 2 }), job)).toThrow('does not match its job: version 2 instead of 3');
    expect(() => checkResult(result({ refLogprobs: [[-1]], rollout: { ...result().rollout, responseIds: [[2]] } }), job)).toThrow('came back with 1 rows instead of 2');
    const off = { ...job, behaviour: true };
    expect(() => checkResult(result(), off)).toThrow('without the sampling policy\'s log-probs that one-step-off asks for');
    expect(() => checkResult(result({ behaviour: { logprobs: [[-1], [-1]] } }), off)).not.toThrow();
  });
});

describe('published weights', () => {
  const policy = (w: tf.Tensor) => {
    const weights = new Map([['w', w]]);
    return {
      namedWeights: () => weights,
      loadNamedWeights: (m: Map<string, tf.Tensor>) => {
        const next = m.get('w')!;
        if (next.size !== weights.get('w')!.size) throw new Error('shape mismatch for w');
        weights.set('w', next.clone());
      },
    } as unknown as PolicyModel;
  };
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-weights-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a version is loaded when it is the one asked for, refused with a message naming it when not; old versions are pruned', async () => {
    const id = { run: runKey('/x/runs/r1'), attempt: 'a1', version: 3 };
    const src = policy(tf.tensor1d([1, 2, 3]));
    const rel = await publishWeights(root, src, id);
    const dst = policy(tf.tensor1d([0, 0, 0]));
    loadPublishedWeights(tf as never, dst, root, rel, id);
    expect(Array.from(dst.namedWeights().get('w')!.dataSync())).toEqual([1, 2, 3]);
    expect(() => loadPublishedWeights(tf as never, dst, root, rel, { ...id, version: 4 })).toThrow(`holds policy version 3 of run ${id.run} (attempt a1), not version 4`);
    expect(() => loadPublishedWeights(tf as never, dst, root, rel, { ...id, attempt: 'a2' })).toThrow('not version 3');
    expect(() => loadPublishedWeights(tf as never, dst, root, 'nowhere/v-000003.safetensors', id)).toThrow(`cannot load policy version 3 of run ${id.run} from ${path.join(root, 'nowhere/v-000003.safetensors')}`);
    expect(() => loadPublishedWeights(tf as never, policy(tf.tensor1d([0, 0])), root, rel, id)).toThrow('into this worker\'s policy: shape mismatch for w');
    for (const v of [4, 5, 6]) await publishWeights(root, src, { ...id, version: v });
    expect(fs.readdirSync(path.join(root, id.run)).sort()).toEqual(['v-000004.safetensors', 'v-000005.safetensors', 'v-000006.safetensors']);
  });
});

describe('Redis URL handling', () => {
  it('parses host, port, db and password, and hides the password in messages', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6390/2')).toEqual({ host: '127.0.0.1', port: 6390, db: 2, password: undefined, username: undefined, tls: false });
    expect(parseRedisUrl('redis://:s3cret@h').password).toBe('s3cret');
    expect(parseRedisUrl('rediss://h').tls).toBe(true);
    expect(() => parseRedisUrl('redis://h/x')).toThrow('not a non-negative integer');
    expect(redactRedisUrl('redis://u:s3cret@h:1')).toBe('redis://u:***@h:1');
    expect(() => parseRedisUrl('http://h')).toThrow('only redis:// and rediss:// URLs');
  });
});
