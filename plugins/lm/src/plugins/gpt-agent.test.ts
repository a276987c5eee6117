import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { DiagnosticError, Rng, Tokens, type TensorRuntime } from '@rlhfjs/core';
import lmPackage from '../index';
import { gptAgent } from './gpt-agent';
import { tinyModel } from '../model/testing/tiny';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SAMPLING = { maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, stop: [] as string[] };

function ctx(dir: string, options: Record<string, unknown>) {
  const c = container.createChildContainer();
  c.registerInstance(Tokens.Runtime, { tf, backend: 'cpu', nativeKernels: [] } as TensorRuntime);
  c.registerInstance(Tokens.Rng, new Rng(1));
  return { options: { valueHead: false, sampling: SAMPLING, ...options } as never, container: c, pointer: '/agent', resolvePath: (p: string) => path.resolve(dir, p) };
}

describe('gpt agent plugin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-agent-'));
    const m = tinyModel(tf);
    await m.save(path.join(dir, 'models/base'));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify((m.tokenizer as unknown as { toJSON(): unknown }).toJSON()));
    m.dispose();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is in the package list, as data', () => {
    expect(lmPackage.plugins.map((p) => `${p.kind}/${p.name}`)).toEqual(expect.arrayContaining(['agent/gpt', 'job/pretrain']));
    expect(gptAgent.options).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it('declares checkpoint loading: fromCheckpoint replaces the source (init included), loadModel gives the bare model', async () => {
    const ck = path.join(dir, 'models/base');
    const init = { tokenizer: { file: 'tokenizer.json' } };
    const agent = await gptAgent.fromCheckpoint!(ctx(dir, { init, suppressEos: true, sampling: { ...SAMPLING, maxNewTokens: 3 } }), ck);
    expect(agent.source).toBe(ck);
    expect(agent.sampling.maxNewTokens).toBe(3);
    const saved = tinyModel(tf);
    const w = agent.policy.namedWeights();
    for (const [name, t] of saved.namedWeights()) expect(Array.from(w.get(name)!.dataSync())).toEqual(Array.from(t.dataSync()));
    agent.policy.dispose();
    saved.dispose();

    const c = ctx(dir, {}).container;
    const frozen = await gptAgent.loadModel!(ck, { trainable: false }, c);
    expect(frozen.hasValueHead).toBe(false);
    expect(frozen.trainableVariables()).toEqual([]);
    frozen.dispose();
    const withHead = await gptAgent.loadModel!(ck, { valueHead: true, rng: new Rng(4) }, c);
    expect(withHead.hasValueHead).toBe(true);
    expect(withHead.trainableVariables().length).toBeGreaterThan(0);
    const batch = { ids: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'), attentionMask: tf.ones([1, 3]) as tf.Tensor2D };
    expect(withHead.values!(batch).shape).toEqual([1, 3]);
    withHead.dispose();
  });

  it('loads a checkpoint relative to the recipe, adds a value head on request, and samples', async () => {
    const agent = await gptAgent.create(ctx(dir, { checkpoint: 'models/base', valueHead: true }));
    expect(agent.source).toBe(path.join(dir, 'models/base'));
    expect(agent.policy.hasValueHead).toBe(true);
    const tok = agent.policy.tokenizer;
    const r = await agent.policy.generate([[tok.bosId!, ...tok.encode('the cat')]], agent.sampling, new Rng(2));
    expect(r.responseIds[0].length).toBeGreaterThan(0);
    expect(r.values![0].length).toBe(r.responseIds[0].length);
    agent.policy.dispose();
  });

  it('builds a seeded random init from a tokenizer file', async () => {
    const init = { tokenizer: { file: 'tokenizer.json', vocabSize: 2048, minFrequency: 2 }, contextSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tieEmbeddings: true };
    const a = await gptAgent.create(ctx(dir, { init }));
    const b = await gptAgent.create(ctx(dir, { init }));
    expect(a.source).toBe('random init');
    expect(Array.from(a.policy.namedWeights().get('wte')!.dataSync().slice(0, 5))).toEqual(Array.from(b.policy.namedWeights().get('wte')!.dataSync().slice(0, 5)));
    a.policy.dispose();
    b.policy.dispose();
  });

  it('trains the tokenizer of a random init on a corpus spec', async () => {
    fs.writeFileSync(path.join(dir, 'lines.txt'), Array.from({ length: 30 }, (_, i) => `the cat sat on mat number ${i % 5}`).join('\n'));
    const init = {
      tokenizer: { corpus: { sources: [{ name: 'file', path: 'lines.txt', format: 'auto', field: 'text', weight: 1 }], heldOutFraction: 0, seed: 1, oversample: [] }, vocabSize: 280, minFrequency: 2 },
      contextSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tieEmbeddings: false,
    };
    const a = await gptAgent.create(ctx(dir, { init }));
    // a small corpus may run out of pairs to merge before 280
    expect(a.policy.tokenizer.vocabSize).toBeLessThanOrEqual(280);
    expect(a.policy.tokenizer.vocabSize).toBeGreaterThan(270);
    expect(a.policy.tokenizer.encode(' cat').length).toBe(1);
    a.policy.dispose();
  });

  it('says where the mistake is: both or neither source, a missing checkpoint, no room for a prompt', async () => {
    const err = async (o: Record<string, unknown>) => {
      try {
        await gptAgent.create(ctx(dir, o));
      } catch (e) {
        expect(DiagnosticError.is(e)).toBe(true);
        return (e as DiagnosticError).diagnostics[0];
      }
      throw new Error('expected an error');
    };
    expect((await err({})).message).toMatch(/either `checkpoint` or `init`/);
    expect((await err({ checkpoint: 'x', init: { tokenizer: {} } })).message).toMatch(/not both/);
    const missing = await err({ checkpoint: 'models/nope' });
    expect(missing.message).toMatch(/does not exist/);
    expect(missing.fix).toMatch(/relative paths in a recipe/);
    const room = await err({ checkpoint: 'models/base', sampling: { ...SAMPLING, maxNewTokens: 40 } });
    expect(room.pointer).toBe('/agent/options/sampling/maxNewTokens');
  });

  it('puts LoRA on a checkpoint or an init policy, pads the vocabulary with rows never sampled, and reports its footprint', async () => {
    const lora = { rank: 2, alpha: 4, dropout: 0, targetModules: ['c_attn'] };
    const fromCk = gptAgent.create(ctx(dir, { checkpoint: 'models/base', valueHead: true, lora })) as { policy: import('../model/gpt').GPTModel };
    // 2 layers × (A 2×32 + B 96×2) + value head 33
    expect(fromCk.policy.trainableVariables().reduce((n, v) => n + v.size, 0)).toBe(2 * (64 + 192) + 33);
    const fp = gptAgent.footprint!({ options: { checkpoint: 'models/base', valueHead: true, lora }, resolvePath: (p) => path.resolve(dir, p), pointer: '/agent' }) as { trainableParameters: number; parameters: number; lora: boolean };
    expect(fp.trainableParameters).toBe(2 * (64 + 192) + 33);
    expect(fp.parameters).toBe(fromCk.policy.parameterCount());
    expect(fp.lora).toBe(true);
    fromCk.policy.dispose();
    const init = { contextSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, vocabSize: 400, tokenizer: { file: 'tokenizer.json' } };
    const fromInit = gptAgent.create(ctx(dir, { init, lora, suppressEos: true })) as { policy: import('../model/gpt').GPTModel };
    const V = fromInit.policy.tokenizer.vocabSize;
    expect(fromInit.policy.config.vocabSize).toBe(400);
    expect(fromInit.policy.suppressedTokens).toEqual([...[fromInit.policy.tokenizer.eosId], ...Array.from({ length: 400 - V }, (_, i) => V + i)].sort((a, b) => a - b));
    fromInit.policy.dispose();
    try {
      gptAgent.create(ctx(dir, { checkpoint: 'models/base', lora: { ...lora, dropout: 0.1 } }));
      throw new Error('not refused');
    } catch (e) {
      expect(DiagnosticError.is(e)).toBe(true);
      expect((e as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'lm/lora-dropout', pointer: '/agent/options/lora', plugin: 'agent/gpt' });
      expect(Object.keys((e as DiagnosticError).diagnostics[0])).not.toContain('settings');
    }
  });
});
