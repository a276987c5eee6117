/**
 * The conformance kit on real packages (the built-in loggers, the plain-JavaScript fixture package)
 * and on packages with one defect each, to show that every check can fail and says how to fix it.
 */
import { container } from 'tsyringe';
import { definePackage, definePlugin, Tokens, type PluginDefinition } from '@rlhfjs/core';
import { checkDefaults, checkFactory, checkPackageJson, checkPluginPackage, rangeAdmits, testPluginPackage, buildPlugin, type CheckResult, type ConformanceOptions } from '@rlhfjs/core/testing';
import { FIXTURE_PLUGIN } from '../helpers/paths';

// the one-liner an author writes, on two real packages
testPluginPackage(require('../../plugins/loggers/src').default ?? require('../../plugins/loggers/src'), { packageJson: require('../../plugins/loggers/package.json') });
testPluginPackage(require(FIXTURE_PLUGIN), {
  packageJson: require(`${FIXTURE_PLUGIN}/package.json`),
  examples: { 'job/count-words': [{ text: 'one two three' }] },
});

const empty = { type: 'object', additionalProperties: false, properties: {} } as const;
const okReward = (name = 'ok', extra: Partial<Parameters<typeof definePlugin>[0]> = {}): PluginDefinition =>
  definePlugin({
    kind: 'reward',
    name,
    description: 'Scores 1.',
    options: empty,
    create: () => ({ score: async (s: unknown[]) => ({ scores: s.map(() => 1) }) }),
    ...extra,
  } as never) as PluginDefinition;

async function problems(plugins: PluginDefinition[], opts: ConformanceOptions = {}): Promise<string[]> {
  const results: CheckResult[] = await checkPluginPackage(definePackage({ plugins }), opts);
  return results.flatMap((r) => r.problems);
}

describe('the kit reports each defect with its fix', () => {
  test('a clean package passes every check', async () => {
    expect(await problems([okReward()])).toEqual([]);
  });

  test('schema: strict-mode compile error, open objects, undocumented options', async () => {
    const bad = definePlugin({
      kind: 'reward',
      name: 'sloppy',
      description: 'd',
      options: {
        type: 'object',
        properties: {
          word: { type: 'string', default: 'x' },
          nested: { type: 'object', description: 'n', properties: { deep: { type: 'number', description: 'd', defualt: 1 } } },
        },
      },
      create: () => ({ score: async () => ({ scores: [] }) }),
    } as never) as PluginDefinition;
    const p = (await problems([bad])).join('\n');
    expect(p).toContain('reward/sloppy: the options schema does not compile in Ajv strict mode: strict mode: unknown keyword: "defualt"');
    expect(p).toContain('reward/sloppy: the options schema must set additionalProperties: false');
    expect(p).toContain('the nested object at /properties/nested accepts unknown keys');
    expect(p).toContain("reward/sloppy: the option at /properties/word has no description: add description: '<what it does, its unit>'");
  });

  test('defaults: an invalid default, and required options without examples', async () => {
    const badDefault = okReward('bad-default', { options: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer', default: 'three', description: 'n' } } } } as never);
    const required = okReward('needs-path', { options: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', description: 'p' } } } } as never);
    const p = await problems([badDefault, required]);
    expect(p.join('\n')).toMatch(/reward\/bad-default: \{\} \(no options in the recipe\) is not valid: \/n must be integer/);
    expect(p.join('\n')).toContain("reward/needs-path: {} (no options in the recipe) is not valid: / must have required property 'path'. Give every option a default, or declare example options: testPluginPackage(pkg, { examples: { 'reward/needs-path': [{ ... }] } })");
    // with an example the same plugin passes
    expect(await problems([required], { examples: { 'reward/needs-path': [{ path: 'prompts.txt' }] } })).toEqual([]);
  });

  test('factory: a throw, a collaborator the kit lacks (and how to provide it), skipping', async () => {
    const throws = okReward('throws', { create: () => { throw new Error('model file missing'); } } as never);
    const wantsPolicy = okReward('wants-policy', {
      create: ({ container: c }: { container: typeof container }) => {
        const policy = c.resolve(Tokens.Policy);
        return { score: async (s: unknown[]) => ({ scores: s.map(() => policy.contextSize) }) };
      },
    } as never);
    const p = await problems([throws, wantsPolicy]);
    expect(p).toContain('reward/throws: the factory threw with options {}: model file missing');
    expect(p.join('\n')).toContain("reward/wants-policy: the factory asks for Tokens.Policy, which the kit does not register. Register it with testPluginPackage(pkg, { services: (c) => c.registerInstance(Tokens.Policy, ...) }), or skip building it with { skipCreate: { 'reward/wants-policy': 'needs Tokens.Policy' } }");
    // provided through services, it builds and honours the contract
    expect(await problems([wantsPolicy], { services: (c) => c.registerInstance(Tokens.Policy, { contextSize: 8 } as never) })).toEqual([]);
    const skipped = await checkPluginPackage(definePackage({ plugins: [throws] }), { skipCreate: { 'reward/throws': 'needs a GPU' } });
    expect(skipped.find((r) => r.title.includes('factory'))?.skipped).toBe('needs a GPU');
  });

  test('contract: wrong score count, non-finite scores, a KL controller that does not restore, a non-resumable environment', async () => {
    const short = okReward('short', { create: () => ({ score: async () => ({ scores: [1] }) }) } as never);
    const nan = okReward('nan', { create: () => ({ score: async (s: unknown[]) => ({ scores: s.map(() => NaN) }) }) } as never);
    const kl = definePlugin({
      kind: 'kl-controller',
      name: 'forgetful',
      description: 'd',
      options: empty,
      create: () => {
        let value = 0.1;
        return { get value() { return value; }, update() { value *= 2; }, getState: () => ({ value }), setState() { /* ignores the checkpoint */ } };
      },
    }) as PluginDefinition;
    const env = definePlugin({
      kind: 'environment',
      name: 'drifting',
      description: 'd',
      options: empty,
      create: () => {
        let calls = 0;
        return {
          size: 3,
          nextBatch: (n: number) => Array.from({ length: n }, () => ({ id: String(calls), text: 'p' + calls++ })),
          heldOut: () => [],
          getState: () => ({}),
          setState: () => undefined,
        };
      },
    }) as PluginDefinition;
    const p = (await problems([short, nan, kl, env])).join('\n');
    expect(p).toContain('reward/short: score() must return { scores } with one number per sample (3), got [1]');
    expect(p).toContain('reward/nan: every score must be a finite number, got [null,null,null]');
    expect(p).toContain('kl-controller/forgetful: setState(getState()) must restore value: expected 0.1, got 0.4');
    expect(p).toContain('environment/drifting: after setState(getState()), the same seed must give the same prompts');
  });

  test('contract: scorer, logger, algorithm, job and agent shapes', async () => {
    const def = (kind: string, name: string, create: () => unknown): PluginDefinition => definePlugin({ kind, name, description: 'd', options: empty, create } as never) as PluginDefinition;
    const p = (
      await problems([
        def('scorer', 'vague', () => ({ name: 'vague', score: async (s: unknown[]) => ({ scores: s.map(() => 1), flags: s.map(() => 'yes') }) })),
        def('logger', 'fragile', () => ({ log: (_step: number, m: Record<string, number>) => { if (Number.isNaN(m['kl/mean'])) throw new Error('NaN in metrics'); } })),
        def('algorithm', 'shapeless', () => ({ mode: 'online', batch: { promptsPerIteration: 0, samplesPerPrompt: 2 }, update: async () => ({ metrics: {}, kl: 0 }) })),
        def('job', 'idle', () => ({ start: () => undefined })),
        def('agent', 'hollow', () => ({ policy: { contextSize: 1 }, sampling: {}, source: 'nowhere' })),
        def('reward', 'stuck', () => null),
      ])
    ).join('\n');
    expect(p).toContain('scorer/vague: flags must be one boolean per sample, got ["yes","yes","yes"]');
    expect(p).toContain('logger/fragile: log(1, metrics with NaN) threw: NaN in metrics');
    expect(p).toContain('algorithm/shapeless: batch needs promptsPerIteration and samplesPerPrompt, positive integers');
    expect(p).toContain('algorithm/shapeless: an algorithm needs saveState(dir) (checkpoints)');
    expect(p).toContain('job/idle: a job needs run(ctx)');
    expect(p).toContain('agent/hollow: policy.generate() is missing');
    expect(p).toContain('agent/hollow: policy.encodePrompt() is missing');
    expect(p).toContain('agent/hollow: policy.contextSize must be an integer ≥ 2, got 1');
    expect(p).toContain('agent/hollow: sampling needs maxNewTokens (integer) and temperature');
    expect(p).toContain('reward/stuck: the factory returned null, not an object implementing reward');
  });

  test('package: not a plugin package, duplicate names, another API version', async () => {
    expect((await checkPluginPackage({ plugins: [] }))[0].problems[0]).toContain('has a plugins list but was not made by definePackage');
    const dup = await problems([okReward('twin'), okReward('twin')]);
    expect(dup).toContain('reward/twin is declared twice in the package: names are unique within a kind (rename one)');
    expect(dup.join('\n')).not.toContain('two packages register');
    const future = await checkPluginPackage(definePackage({ apiVersion: '3.0', plugins: [okReward()] }), { packageJson: { name: 'rlhf-plugin-x' } });
    expect(future[0].problems.join('\n')).toContain('rlhf-plugin-x targets plugin API 3.0, but this core provides API 2.2');
  });

  test('package.json conventions', () => {
    const core = require('../../core/package.json').version as string;
    expect(checkPackageJson({ name: 'rlhf-plugin-good', main: 'dist/index.js', keywords: ['rlhf-plugin'], peerDependencies: { '@rlhfjs/core': `^${core}` } })).toEqual([]);
    expect(checkPackageJson({ name: '@acme/rlhf-plugin-good', main: 'index.js', keywords: ['rlhf-plugin'], peerDependencies: { '@rlhfjs/core': '*' } })).toEqual([]);
    const p = checkPackageJson({ name: 'my-reward', keywords: [], dependencies: { '@rlhfjs/core': core }, peerDependencies: { '@rlhfjs/core': '^9.0.0' } }).join('\n');
    expect(p).toContain('package name "my-reward" does not follow the convention: name it rlhf-plugin-<name> or @<scope>/rlhf-plugin-<name>');
    expect(p).toContain('keywords lack "rlhf-plugin"');
    expect(p).toContain('"main" is missing');
    expect(p).toContain('@rlhfjs/core is in "dependencies": move it to "peerDependencies"');
    expect(p).toContain(`the peer dependency range @rlhfjs/core@"^9.0.0" does not admit the core under test (${core})`);
    expect(checkPackageJson({ name: 'rlhf-plugin-x', main: 'i.js', keywords: ['rlhf-plugin'] }).join('\n')).toContain('@rlhfjs/core is not a peer dependency');
  });

  test('semver ranges, worked out by hand', () => {
    expect(rangeAdmits('^0.1.0', '0.1.7')).toBe(true);
    expect(rangeAdmits('^0.1.0', '0.2.0')).toBe(false); // ^0.x pins the minor
    expect(rangeAdmits('^1.2.0', '1.9.3')).toBe(true);
    expect(rangeAdmits('^1.2.0', '2.0.0')).toBe(false);
    expect(rangeAdmits('^1.2.0', '1.1.9')).toBe(false);
    expect(rangeAdmits('~1.2.0', '1.2.9')).toBe(true);
    expect(rangeAdmits('~1.2.0', '1.3.0')).toBe(false);
    expect(rangeAdmits('0.1.0', '0.1.0')).toBe(true);
    expect(rangeAdmits('0.1.0', '0.1.1')).toBe(false);
    expect(rangeAdmits('>=0.1.0 <0.3.0', '0.2.5')).toBe(true);
    expect(rangeAdmits('>=0.1.0 <0.3.0', '0.3.0')).toBe(false);
    expect(rangeAdmits('1.x || ^0.1.0', '0.1.4')).toBe(true);
    expect(rangeAdmits('*', '3.0.0')).toBe(true);
    // hyphen ranges: 1.2.3 - 1.4 means >=1.2.3 <1.5.0-0
    expect(rangeAdmits('1.2.3 - 1.4', '1.3.0')).toBe(true);
    expect(rangeAdmits('1.2.3 - 1.4', '1.5.0')).toBe(false);
    // a prerelease satisfies only a range that names a prerelease of the same version (as npm judges peers)
    expect(rangeAdmits('^0.2.0', '0.2.0-rc.1')).toBe(false);
    expect(rangeAdmits('^0.2.0-rc.0', '0.2.0-rc.1')).toBe(true);
    expect(rangeAdmits('^0.2.0-rc.0', '0.2.1-rc.1')).toBe(false);
    // not a semver range (a dist-tag, a path): npm resolves it, the kit does not judge it
    expect(rangeAdmits('latest', '0.1.0')).toBe(true);
    expect(rangeAdmits('file:../core', '0.1.0')).toBe(true);
  });

  test('buildPlugin validates options (defaults filled) and builds in a fresh container', async () => {
    const built = await buildPlugin(require('@rlhfjs/plugin-loggers').default.plugins.find((p: PluginDefinition) => p.name === 'csv'), {});
    try {
      expect(built.options).toEqual({ file: 'metrics.csv' });
      expect(built.container).not.toBe(container);
      expect(built.container.resolve(Tokens.RunDir).path).toBe(built.runDir);
    } finally {
      built.dispose();
    }
    await expect(buildPlugin(okReward('strict'), { nope: 1 })).rejects.toThrow("reward/strict: invalid options {\"nope\":1}: / must NOT have additional properties");
  });

  test('agent and environment contracts, on the built-in GPT agent and prompts environment (tiny settings)', async () => {
    const lm = require('@rlhfjs/plugin-lm').default.plugins as PluginDefinition[];
    const corpus = { sources: [{ name: 'brown', limit: 50 }] };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['gpt', { init: { contextSize: 16, dModel: 8, nLayers: 1, nHeads: 1, dMlp: 8, tokenizer: { corpus, vocabSize: 260 } }, sampling: { maxNewTokens: 4 } }],
      ['prompts', { corpus, cut: { split: 'all' } }],
    ];
    for (const [name, example] of cases) {
      const def = lm.find((p) => p.name === name)!;
      const d = checkDefaults(def, [example]);
      expect(d.problems).toEqual([]);
      expect(await checkFactory(def, d.filled[0])).toEqual([]);
    }
    // the same agent with options its factory refuses: the plugin's own diagnostic comes through
    const gpt = lm.find((p) => p.name === 'gpt')!;
    const tooLong = checkDefaults(gpt, [{ init: { contextSize: 16, dModel: 8, nLayers: 1, nHeads: 1, dMlp: 8, tokenizer: { corpus, vocabSize: 260 } } }]).filled[0];
    expect((await checkFactory(gpt, tooLong)).join('\n')).toContain('leaves no room for a prompt in a context window of 16 tokens');
  });
});
