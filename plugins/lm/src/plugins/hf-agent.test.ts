import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { DiagnosticError, Rng, Tokens, type Agent, type TensorRuntime } from '@rlhfjs/core';
import lmPackage from '../index';
import { hfCausalLmAgent } from './hf-agent';
import { gptCheckpointToHF } from '../hf/from-gpt';
import { tinyModel } from '../model/testing/tiny';
import { VALUE_HEAD_FILE } from '../hf/export';
import { gptAgent } from './gpt-agent';
import { packRollout } from '@rlhfjs/core';
import type { HFCausalLM } from '../hf/model';
import type { GPTModel } from '../model/gpt';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SAMPLING = { maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, stop: [] as string[] };

function ctx(dir: string, options: Record<string, unknown>) {
  const c = container.createChildContainer();
  c.registerInstance(Tokens.Runtime, { tf, backend: 'cpu', nativeKernels: [] } as TensorRuntime);
  c.registerInstance(Tokens.Rng, new Rng(1));
  return { options: { valueHead: false, suppressEos: false, fullVocabulary: false, sampling: SAMPLING, ...options } as never, container: c, pointer: '/agent', resolvePath: (p: string) => path.resolve(dir, p) };
}

describe('hf-causal-lm agent plugin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-agent-'));
    const m = tinyModel(tf);
    await m.save(path.join(dir, 'gpt'));
    m.dispose();
    await gptCheckpointToHF(path.join(dir, 'gpt'), path.join(dir, 'hf'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is in the package list, as data', () => {
    expect(lmPackage.plugins.map((p) => `${p.kind}/${p.name}`)).toEqual(expect.arrayContaining(['agent/hf-causal-lm', 'job/hf-export']));
    expect(hfCausalLmAgent.options).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it('builds a policy from the folder; a value head is saved beside the weights and read back', async () => {
    const agent = hfCausalLmAgent.create(ctx(dir, { path: 'hf', valueHead: true, suppressEos: true })) as Agent;
    expect(agent.source).toBe(path.join(dir, 'hf'));
    expect(agent.policy.hasValueHead).toBe(true);
    const out = await agent.policy.generate([agent.policy.encodePrompt('the cat', 10).ids], SAMPLING, new Rng(2));
    expect(out.responseIds[0]).toHaveLength(6);
    expect(out.responseIds[0]).not.toContain(agent.policy.tokenizer.eosId);
    await agent.policy.save(path.join(dir, 'saved'));
    expect(fs.existsSync(path.join(dir, 'saved', VALUE_HEAD_FILE))).toBe(true);
    const back = hfCausalLmAgent.fromCheckpoint!(ctx(dir, {}), path.join(dir, 'saved')) as Agent;
    const vh = (m: Agent) => tf.tidy(() => Array.from((m.policy.namedWeights().get('v_head.weight') as tf.Tensor).dataSync()));
    expect(vh(back)).toEqual(vh(agent));
    agent.policy.dispose();
    back.policy.dispose();
  });

  it('lora: the same adapters as the gpt agent draws on the same model (one stream "lora"), the same log-probs, and the footprint', async () => {
    const lora = { rank: 2, alpha: 4, dropout: 0, targetModules: ['c_attn', 'mlp.c_proj'] };
    const hf = (hfCausalLmAgent.create(ctx(dir, { path: 'hf', valueHead: true, lora })) as Agent).policy as HFCausalLM;
    const gpt = (gptAgent.create(ctx(dir, { checkpoint: 'gpt', valueHead: true, lora })) as Agent).policy as GPTModel;
    expect(hf.lora!.moduleNames()).toEqual(gpt.lora!.moduleNames());
    for (const n of gpt.lora!.moduleNames()) {
      expect(Array.from(hf.lora!.pair(n)!.A.dataSync())).toEqual(Array.from(gpt.lora!.pair(n)!.A.dataSync()));
      // move B the same way in both, so the adapters change the function
      const B = tf.tidy(() => tf.mul(tf.sin(tf.range(0, hf.lora!.pair(n)!.B.size).reshape(hf.lora!.pair(n)!.B.shape)), 0.3));
      hf.lora!.pair(n)!.B.assign(B);
      gpt.lora!.pair(n)!.B.assign(B);
      B.dispose();
    }
    const rows = [[0, 5, 9, 12, 40, 41], [0, 7, 3]];
    const p = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, 0);
    const lp = (m: HFCausalLM | GPTModel) => tf.tidy(() => Array.from(m.forward(p.batch).logprobs.dataSync()));
    const a = lp(hf);
    const b = lp(gpt);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
    const baseView = hf.baseView();
    const c = lp(baseView);
    baseView.dispose();
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i])))).toBeGreaterThan(1e-3);
    const count = (vs: tf.Variable[]) => vs.reduce((s, v) => s + v.size, 0);
    expect(count(hf.trainableVariables())).toBe(count(gpt.trainableVariables()));
    const fp = hfCausalLmAgent.footprint!({ options: { path: 'hf', valueHead: true, lora }, resolvePath: (q) => path.resolve(dir, q), pointer: '/agent' }) as { parameters: number; trainableParameters: number };
    expect(fp.trainableParameters).toBe(count(hf.trainableVariables()));
    expect(fp.parameters).toBe(hf.parameterCount());
    tf.dispose([p.batch.ids, p.batch.attentionMask]);
    hf.dispose();
    gpt.dispose();
  });

  it('errors name the recipe field', () => {
    let e = (() => {
      try {
        hfCausalLmAgent.create(ctx(dir, {}));
      } catch (err) {
        return err as DiagnosticError;
      }
      throw new Error('no error');
    })();
    expect(e.diagnostics[0]).toMatchObject({ code: 'lm/agent-source', pointer: '/agent/options', plugin: 'agent/hf-causal-lm' });
    e = (() => {
      try {
        hfCausalLmAgent.create(ctx(dir, { path: 'gpt' }));
      } catch (err) {
        return err as DiagnosticError;
      }
      throw new Error('no error');
    })();
    // the project's own checkpoint is not a Hugging Face model type
    expect(DiagnosticError.is(e)).toBe(true);
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/unsupported-model-type', file: path.join(dir, 'gpt', 'config.json'), pointer: '/model_type', plugin: 'agent/hf-causal-lm' });
    expect(e.diagnostics[0].fix).toMatch(/gpt agent .* hf-export job/);
    e = (() => {
      try {
        hfCausalLmAgent.create(ctx(dir, { path: 'hf', sampling: { ...SAMPLING, maxNewTokens: 400 } }));
      } catch (err) {
        return err as DiagnosticError;
      }
      throw new Error('no error');
    })();
    expect(e.diagnostics[0]).toMatchObject({ code: 'lm/bad-sampling', pointer: '/agent/options/sampling/maxNewTokens', plugin: 'agent/hf-causal-lm' });
  });
});
