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
