import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, definePackage, definePlugin, loadRecipe, PluginRegistry, type Diagnostic, type PluginCheckContext } from '../index';

// a reward whose options must satisfy low < high, which a JSON Schema cannot say
const seen: Array<{ options: unknown; ctx: PluginCheckContext }> = [];
const band = definePlugin({
  kind: 'reward',
  name: 'band',
  description: 'test reward with a cross-option check',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      low: { type: 'number', default: 0, description: 'Lower edge.' },
      high: { type: 'number', default: 1, description: 'Upper edge.' },
    },
  } as const,
  check(options, ctx) {
    seen.push({ options, ctx });
    return options.low < options.high ? [] : [{ option: '/high', message: `high (${options.high}) is not above low (${options.low})`, fix: 'raise high above low' }];
  },
  create: () => ({ score: async (samples) => ({ scores: samples.map(() => 0) }) }),
});
const broken = definePlugin({
  kind: 'reward',
  name: 'broken',
  description: 'test reward whose check throws',
  options: { type: 'object', additionalProperties: false, properties: {} } as const,
  check() {
    throw new Error('out of cheese');
  },
  create: () => ({ score: async (samples) => ({ scores: samples.map(() => 0) }) }),
});
const job = definePlugin({ kind: 'job', name: 'noop', description: 'test job', options: { type: 'object', additionalProperties: false, properties: {} } as const, create: () => ({ run: async () => ({ summary: {} }), saveCheckpoint: async () => {}, loadCheckpoint: async () => {} }) });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-check-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function diagnostics(text: string, overrides?: string[]): Promise<Diagnostic[]> {
  const file = path.join(dir, 'r.yaml');
  fs.writeFileSync(file, text);
  const registry = new PluginRegistry();
  registry.add('test-check', definePackage({ plugins: [band, broken, job] }));
  try {
    await loadRecipe(file, { registry, overrides });
  } catch (err) {
    if (DiagnosticError.is(err)) return err.diagnostics;
    throw err;
  }
  return [];
}

describe('a plugin\'s check() runs at validation', () => {
  test('its problems point into the recipe, with file and line', async () => {
    seen.length = 0;
    const d = await diagnostics('plugins: []\njob: noop\nrewards:\n  - { use: band, options: { low: 0 } }\n  - use: band\n    options:\n      low: 2\n      high: 1\n');
    expect(d).toEqual([
      { code: 'recipe/invalid-option', plugin: 'reward/band', pointer: '/rewards/1/options/high', message: 'high (1) is not above low (2)', fix: 'raise high above low', file: path.join(dir, 'r.yaml'), line: 8, column: 13 },
    ]);
    // it got the options with defaults filled in, the recipe and where it sits
    expect(seen.map((s) => [s.options, s.ctx.pointer])).toEqual([
      [{ low: 0, high: 1 }, '/rewards/0'],
      [{ low: 2, high: 1 }, '/rewards/1'],
    ]);
    expect((seen[0].ctx.recipe.rewards as unknown[]).length).toBe(2);
  });

  test('a --set override that breaks it is reported against the override', async () => {
    const d = await diagnostics('plugins: []\njob: noop\nrewards: [ { use: band } ]\n', ['rewards.0.options.low=5']);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'recipe/invalid-option', pointer: '/rewards/0/options/high', message: 'high (1) is not above low (5)' });
  });

  test('it does not run on options the schema refused, and a check that throws is the plugin\'s bug', async () => {
    seen.length = 0;
    const d = await diagnostics('plugins: []\njob: noop\nrewards: [ { use: band, options: { low: "x" } }, { use: broken } ]\n');
    expect(seen).toEqual([]);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ['recipe/type', '/rewards/0/options/low'],
      ['plugin/check-failed', '/rewards/1'],
    ]);
    expect(d[1].message).toBe('the check() of reward/broken (from test-check) threw: out of cheese');
  });

  test('a recipe the checks accept loads', async () => {
    expect(await diagnostics('plugins: []\njob: noop\nrewards: [ { use: band, options: { low: -1, high: 1 } } ]\n')).toEqual([]);
  });
});
