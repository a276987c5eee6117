import { CORE_API_VERSION, DiagnosticError, PluginRegistry, definePackage, definePlugin, loadPackage } from '../index';
import { makeProject } from '../testing';
import { FIXTURE_PLUGIN } from '../__fixtures__/external-plugin';

const reward = (name: string) =>
  definePlugin({ kind: 'reward', name, description: 'r', options: { type: 'object', additionalProperties: false, properties: {} } as const, create: () => ({ score: async () => ({ scores: [] }) }) });

describe('plugin registry', () => {
  test('nothing registers on import: a registry only knows the packages added to it', () => {
    require(FIXTURE_PLUGIN);
    const r = new PluginRegistry();
    expect(r.all()).toHaveLength(0);
    r.add('rlhf-plugin-fixture', require(FIXTURE_PLUGIN));
    expect(r.names('reward')).toEqual(['length-bonus']);
    expect(r.names('job')).toEqual(['count-words']);
  });

  test('two packages that register the same kind and name are refused, naming both', () => {
    const r = new PluginRegistry();
    r.add('pkg-a', definePackage({ plugins: [reward('same')] }));
    const problems = r.addPackage('pkg-b', definePackage({ plugins: [reward('same')] }));
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe('two packages register the reward plugin "same": pkg-a and pkg-b');
    expect(problems[0].fix).toContain('remove one of the two packages');
  });

  test('a module that is not a plugin package says what its default export must be', () => {
    const r = new PluginRegistry();
    const [d] = r.addPackage('left-pad', { leftPad: () => '' });
    expect(d.code).toBe('plugin/not-a-plugin-package');
    expect(d.message).toBe('left-pad is not an rlhfjs plugin package: its default export is not a plugin package');
    expect(d.fix).toContain('definePackage');
    const [d2] = r.addPackage('almost', { plugins: [] });
    expect(d2.message).toContain('has a plugins list but was not made by definePackage');
  });

  test('a package built for another API version names both versions', () => {
    const r = new PluginRegistry();
    const [d] = r.addPackage('from-the-future', definePackage({ apiVersion: '3.0', plugins: [reward('x')] }));
    expect(d.code).toBe('plugin/api-version');
    expect(d.message).toBe(`from-the-future targets plugin API 3.0, but this core provides API ${CORE_API_VERSION}`);
    // an older minor of the same major is accepted
    expect(r.addPackage('older', definePackage({ apiVersion: '2.0', plugins: [reward('y')] }))).toEqual([]);
  });

  test('bad definitions are reported per plugin', () => {
    const r = new PluginRegistry();
    const bad = { rlhfPluginPackage: true, apiVersion: CORE_API_VERSION, plugins: [{ kind: 'rewrd', name: 'Bad Name', options: {}, description: 'd' }] };
    const problems = r.addPackage('sloppy', bad);
    expect(problems.map((p) => p.message)).toEqual([
      'sloppy plugins[0]: unknown kind "rewrd". Did you mean "reward"?',
      'sloppy plugins[0]: name "Bad Name" is not a lowercase dashed name',
      'sloppy plugins[0]: plugin "Bad Name" has no create() factory',
    ]);
  });

  test('a package that throws while loading is reported with its name', async () => {
    const p = makeProject();
    try {
      p.write('node_modules/broken-plugin/package.json', '{"name":"broken-plugin","version":"0.0.1","main":"index.js"}');
      p.write('node_modules/broken-plugin/index.js', 'throw new Error("boom at load");');
      const err = await loadPackage('broken-plugin', p.dir).catch((e: unknown) => e);
      expect(DiagnosticError.is(err)).toBe(true);
      expect((err as DiagnosticError).diagnostics[0].message).toBe('plugin package broken-plugin failed to load: boom at load');
    } finally {
      p.cleanup();
    }
  });
});
