import * as fs from 'node:fs';
import * as path from 'node:path';
import { container as root } from 'tsyringe';
import { buildRunContainer, createTensorRuntime, loadRecipe, Tokens, train, readMetricsFile, type TensorRuntime } from '../index';
import { makeProject } from '../testing';
import { FIXTURE_PLUGIN } from '../__fixtures__/external-plugin';

let project: ReturnType<typeof makeProject>;
let runtime: TensorRuntime;
beforeAll(async () => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
  runtime = await createTensorRuntime({ backend: 'cpu' });
});
afterAll(() => project.cleanup());

const RECIPE = (seed: number) => `plugins: [rlhf-plugin-fixture]
job: { use: count-words, options: { text: "a b c d" } }
rewards: [ { use: length-bonus, options: { scale: 1 } } ]
loggers: [ { use: memory } ]
runtime: { backend: cpu, seed: ${seed} }
`;

describe('per-run child containers', () => {
  test('two runs built side by side share no state', async () => {
    const a = await loadRecipe(project.write('a.yaml', RECIPE(1)));
    const b = await loadRecipe(project.write('b.yaml', RECIPE(2)));
    const ca = await buildRunContainer(a, { runtime });
    const cb = await buildRunContainer(b, { runtime });
    expect(ca).not.toBe(cb);
    // each run has its own recipe, seed stream, reward instances and loggers
    expect(ca.resolve(Tokens.Recipe).runtime.seed).toBe(1);
    expect(cb.resolve(Tokens.Recipe).runtime.seed).toBe(2);
    expect(ca.resolve(Tokens.Rng)).not.toBe(cb.resolve(Tokens.Rng));
    const ra = ca.resolve(Tokens.Rewards);
    const rb = cb.resolve(Tokens.Rewards);
    expect(ra).not.toBe(rb);
    expect(ra.sources[0].source).not.toBe(rb.sources[0].source);
    await ra.score([{ prompt: 'p', completion: 'abc' }], { step: 0 });
    expect((ra.sources[0].source as unknown as { calls: number }).calls).toBe(1);
    expect((rb.sources[0].source as unknown as { calls: number }).calls).toBe(0);
    // the seed reached the plugin through the container: different seeds, different draws
    expect((ra.sources[0].source as unknown as { id: number }).id).not.toBe((rb.sources[0].source as unknown as { id: number }).id);
    const la = ca.resolve(Tokens.Loggers)[0] as unknown as { rows: unknown[] };
    la.log(0, { x: 1 });
    expect((cb.resolve(Tokens.Loggers)[0] as unknown as { rows: unknown[] }).rows).toHaveLength(0);
    // nothing leaked into the root container
    expect(root.isRegistered(Tokens.Recipe)).toBe(false);
  });

  test('a third-party job from a package outside the workspace is validated, wired and run, writing a run directory', async () => {
    const recipe = project.write('elsewhere/count.yaml', RECIPE(3));
    const out = path.join(project.dir, 'runs', 'count-1');
    const res = await train(recipe, { out, command: ['rlhf', 'train', recipe] });
    expect(res.result.summary).toEqual({ words: 4 });
    const files = fs.readdirSync(out).sort();
    expect(files).toEqual(['manifest.json', 'metrics.jsonl', 'recipe.resolved.json', 'summary.json']);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ seed: 3, backend: 'cpu', job: 'count-words', recipeName: 'count', versions: { plugins: { 'rlhf-plugin-fixture': '1.2.3' } } });
    expect(manifest.versions.node).toBe(process.version);
    const resolved = JSON.parse(fs.readFileSync(path.join(out, 'recipe.resolved.json'), 'utf8'));
    expect(resolved.rewards[0]).toEqual({ use: 'length-bonus', name: 'length-bonus', weight: 1, options: { scale: 1 } });
    expect(resolved.runtime.checkpointEvery).toBe(10);
    expect(readMetricsFile(path.join(out, 'metrics.jsonl')).map((r) => r.words)).toEqual([4]);
    // a second train into the same folder refuses and loses nothing
    await expect(train(recipe, { out })).rejects.toThrow(/already exists/);
    expect(fs.readdirSync(out).sort()).toEqual(files);
  });
});
