import Ajv2020 from 'ajv/dist/2020';
import pkg from './index';
import { resolveOptions } from './__fixtures__/harness';
import { ppoPlugin } from './online/ppo';
import { adaptiveKLPlugin, fixedKLPlugin } from './kl/plugins';
import { batchProperties } from '@rlhfjs/core';

type Schema = { type?: unknown; additionalProperties?: unknown; properties?: Record<string, { description?: string }> };

describe('plugin package', () => {
  it('is data: a package of the rl job, algorithm and kl-controller plugins', () => {
    expect(pkg.rlhfPluginPackage).toBe(true);
    expect(pkg.plugins.map((p) => `${p.kind}/${p.name}`).sort()).toEqual(
      ['job/rl', 'algorithm/dpo', 'algorithm/grpo', 'algorithm/ppo', 'algorithm/reinforce', 'algorithm/reinforce-pp', 'algorithm/reinforce-pp-baseline', 'algorithm/rloo', 'kl-controller/adaptive', 'kl-controller/fixed'].sort(),
    );
  });

  it('declares the recipe slots each plugin needs: the rl job a policy and an algorithm, an online algorithm prompts, rewards and a KL controller, DPO the policy only', () => {
    const requires = Object.fromEntries(pkg.plugins.filter((p) => p.requires).map((p) => [`${p.kind}/${p.name}`, p.requires]));
    const online = ['agent', 'environment', 'rewards', 'klController'];
    expect(requires).toEqual({ 'job/rl': ['agent', 'algorithm'], 'algorithm/ppo': online, 'algorithm/rloo': online, 'algorithm/grpo': online, 'algorithm/reinforce': online, 'algorithm/reinforce-pp': online, 'algorithm/reinforce-pp-baseline': online, 'algorithm/dpo': ['agent'] });
  });

  it.each(pkg.plugins.map((p) => [`${p.kind}/${p.name}`, p] as const))('%s has a strict options schema with a description on every property', (_, p) => {
    const s = p.options as Schema;
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      expect([k, typeof prop.description === 'string' && prop.description.length > 10]).toEqual([k, true]);
    }
    const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, useDefaults: true });
    expect(() => ajv.compile(p.options)).not.toThrow();
  });

  it('every online algorithm uses the one set of batch-size words', () => {
    for (const p of pkg.plugins.filter((x) => x.kind === 'algorithm' && x.name !== 'dpo')) {
      const props = (p.options as Schema).properties ?? {};
      for (const k of Object.keys(batchProperties)) expect([p.name, k, k in props]).toEqual([p.name, k, true]);
      expect(props.minibatchSize.description).toBe(batchProperties.minibatchSize.description);
      expect(props.promptsPerIteration.description).toBe(batchProperties.promptsPerIteration.description);
    }
  });

  it('keeps the published defaults (TRL classic PPOConfig v0.11.4, lm-human-preferences)', () => {
    const ppo = resolveOptions(ppoPlugin, {});
    expect(ppo).toMatchObject({ learningRate: 1.41e-5, epochs: 4, clipRange: 0.2, clipRangeValue: 0.2, vfCoef: 0.1, gamma: 1, lambda: 0.95, targetKL: 1, klEstimator: 'k1', whitenRewards: false });
    expect(resolveOptions(adaptiveKLPlugin, {})).toEqual({ initialBeta: 0.2, target: 6, horizon: 10000 });
    expect(resolveOptions(fixedKLPlugin, {})).toEqual({ beta: 0.2 });
  });

  it('rejects unknown options and bad estimators', () => {
    expect(() => resolveOptions(ppoPlugin, { learningrate: 1e-3 })).toThrow(/additional properties/);
    expect(() => resolveOptions(ppoPlugin, { klEstimator: 'k4' })).toThrow(/allowed values/);
  });
});
