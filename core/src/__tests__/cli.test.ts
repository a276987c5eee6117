import { makeProject, rlhf } from '../testing';
import { FIXTURE_PLUGIN } from '../__fixtures__/external-plugin';

let project: ReturnType<typeof makeProject>;
beforeAll(() => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
  project.write('ok.yaml', 'plugins: [rlhf-plugin-fixture]\njob: { use: count-words, options: { text: "x y" } }\nloggers: [ { use: memory } ]\n');
  project.write('bad.yaml', 'plugins: [rlhf-plugin-fixture]\njob: { use: count-words, options: { text: 3 } }\nloggers: [ { use: memroy } ]\n');
});
afterAll(() => project.cleanup());

describe('rlhf CLI', () => {
  test('validate: 0 for good recipes, 2 for bad ones, every problem printed without a stack trace', async () => {
    const ok = await rlhf(['validate', 'ok.yaml'], project.dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('ok  ok.yaml  (job count-words');
    const bad = await rlhf(['validate', 'ok.yaml', 'bad.yaml'], project.dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('2 problems');
    expect(bad.err).toMatch(/bad\.yaml:2:\d+ {2}\/job\/options\/text {2}\[job\/count-words\]\n {2}must be string, got number 3/);
    expect(bad.err).toContain('unknown logger plugin "memroy". Did you mean "memory"?');
    expect(bad.err).toContain('1 of 2 recipes invalid');
    expect(bad.err).not.toMatch(/\n\s+at /);
  });

  test('usage errors exit 2; failures while running exit 1 with a stack only under --verbose', async () => {
    expect((await rlhf(['frobnicate'], project.dir)).code).toBe(2);
    expect((await rlhf(['train'], project.dir)).err).toContain('train needs a recipe file');
    const missing = await rlhf(['train', '--resume', 'no-such-run'], project.dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('is not a run directory');
  });

  test('train runs a recipe and reports the run directory', async () => {
    const res = await rlhf(['train', 'ok.yaml', '--out', 'runs/one', '--set', 'job.options.text=a b c'], project.dir);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('run directory: runs/one');
    expect(res.out).toContain('"words": 3');
  });

  test('plugins lists installed plugin packages with their options; schema bundles them for editors', async () => {
    const res = await rlhf(['plugins'], project.dir);
    expect(res.code).toBe(0);
    expect(res.out).toContain('length-bonus  (rlhf-plugin-fixture@1.2.3)');
    expect(res.out).toContain('scale: number = 0.1  Score per character.');
    const schema = await rlhf(['schema'], project.dir);
    const bundle = JSON.parse(schema.out);
    const variants = bundle.properties.rewards.items.anyOf;
    expect(variants[0].properties.use.const).toBe('length-bonus');
    expect(variants[0].properties.options.properties.scale.default).toBe(0.1);
    expect(bundle.properties.job.anyOf[0].enum).toEqual(['count-words']);
    expect(bundle.properties.job.default).toBe('rl');
  });
});
