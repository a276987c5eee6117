/**
 * The whole life of a third-party plugin: scaffold it with `rlhf init plugin`, build it and run its
 * own tests (its jest config, its conformance test) with no edits, `npm pack` it, install the
 * tarballs into a separate project next to a recipe that names them, then `rlhf validate` and
 * `rlhf train` through the project's own node_modules/.bin/rlhf. Offline: core and the built-in
 * plugin packages are installed from this workspace's folders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, buildPackages, linkDevDependencies, rlhf, sh } from './kit-helpers';

const NPM_OFFLINE = ['--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
/** One package per kind `rlhf init` scaffolds; the first four are installed into a project and trained with. */
const KINDS = { polite: 'reward', 'fixed-prompts': 'environment', halving: 'kl-controller', wordcount: 'job', 'long-answers': 'scorer', tsv: 'logger', boost: 'algorithm' } as const;
const INSTALLED = ['polite', 'fixed-prompts', 'halving', 'wordcount'];
const TEMPLATES = path.join(REPO, 'core', 'templates', 'plugin');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const JEST = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');

let root: string;
const tarballs: Record<string, string> = {};

beforeAll(() => {
  buildPackages(['core', 'plugins/lm', 'plugins/algorithms', 'plugins/rewards']);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-plugin-kit-'));
}, 180_000);
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** Every file below dir (node_modules and build output aside), relative, with its contents. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.endsWith('.tsbuildinfo')) continue;
      if (e.isDirectory()) walk(path.join(d, e.name), prefix + e.name + '/');
      else out[prefix + e.name] = fs.readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('rlhf init plugin → build and test → npm pack → install → rlhf validate / train', () => {
  test('core ships the template folders, and its build does not compile them', () => {
    const packed = JSON.parse(sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline', '--silent'], path.join(REPO, 'core')).stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = packed[0].files.map((f) => f.path);
    const templates = Object.keys(tree(TEMPLATES)).map((rel) => 'templates/plugin/' + rel);
    expect(templates).toContain('templates/plugin/common/_gitignore');
    expect(files.filter((f) => f.startsWith('templates/')).sort()).toEqual(templates.sort());
    expect(files).toContain('dist/cli/scaffold.js');
    // compiled templates would show up as dist/.../<kind>/src/index.js
    expect(files.filter((f) => f.startsWith('dist/') && /\/(common|reward|scorer|logger|kl-controller|environment|job)\/src\//.test(f))).toEqual([]);
  });

  test('every kind: the templates type-check as written, each scaffold builds and passes its own tests, the built CLI scaffolds the same files', async () => {
    const coreVersion = JSON.parse(fs.readFileSync(path.join(REPO, 'core', 'package.json'), 'utf8')).version;
    const dirs: string[] = [];
    for (const [name, kind] of Object.entries(KINDS)) {
      const res = await rlhf(['init', 'plugin', name, '--kind', kind, '--dir', root], REPO);
      expect(res.err).toBe('');
      expect(res.code).toBe(0);
      expect(res.out).toContain(`created rlhf-plugin-${name} (${kind} plugin "${name}")`);
      const dir = path.join(root, `rlhf-plugin-${name}`);
      const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      expect(pj).toMatchObject({
        name: `rlhf-plugin-${name}`,
        main: 'dist/index.js',
        keywords: ['rlhf-plugin', 'rlhfjs'],
        peerDependencies: { '@rlhfjs/core': `^${coreVersion}` },
        devDependencies: { '@rlhfjs/core': coreVersion },
      });
      linkDevDependencies(dir);
      dirs.push(dir);
    }

    // the CLI as installed (core/dist, through bin/rlhf.js) finds the templates too, and writes the same files
    const fromDist = path.join(root, 'from-dist');
    sh(process.execPath, [path.join(REPO, 'core', 'bin', 'rlhf.js'), 'init', 'plugin', 'tsv', '--kind', 'logger', '--dir', fromDist], root);
    expect(tree(path.join(fromDist, 'rlhf-plugin-tsv'))).toEqual(tree(path.join(root, 'rlhf-plugin-tsv')));

    // one compiler run: the templates where they are (placeholders and all, tests included), and
    // each package's build (its own tsconfig.json, as npm run build does it)
    fs.writeFileSync(path.join(root, 'templates.tsconfig.json'), JSON.stringify({ extends: path.join(TEMPLATES, 'tsconfig.json'), compilerOptions: { tsBuildInfoFile: './templates.tsbuildinfo' } }));
    sh(process.execPath, [TSC, '-b', path.join(root, 'templates.tsconfig.json'), ...dirs.map((d) => path.join(d, 'tsconfig.json'))], root, { timeout: 180_000 });
    for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'dist', 'index.d.ts'))).toBe(true);

    // one jest run over the six packages, each with its own jest.config.js: ts-jest type-checks
    // the tests, the conformance test loads the built package
    const results = path.join(root, 'jest-results.json');
    const run = sh(process.execPath, [JEST, '--ci', '--json', '--outputFile', results, '--projects', ...dirs], root, { allowFail: true, timeout: 240_000 });
    expect(fs.existsSync(results) ? '' : run.stdout + run.stderr).toBe('');
    const report = JSON.parse(fs.readFileSync(results, 'utf8')) as { numTotalTests: number; testResults: Array<{ name: string; status: string; message: string }> };
    const suites = report.testResults.map((r) => ({ file: path.relative(root, r.name).split(path.sep).join('/'), status: r.status, message: r.status === 'passed' ? '' : r.message }));
    const expected = Object.keys(KINDS).flatMap((name) => ['behaviour', 'conformance'].map((t) => ({ file: `rlhf-plugin-${name}/src/${t}.test.ts`, status: 'passed', message: '' })));
    const byFile = (a: { file: string }, b: { file: string }): number => (a.file < b.file ? -1 : 1);
    expect(suites.sort(byFile)).toEqual(expected.sort(byFile));
    expect(report.numTotalTests).toBeGreaterThanOrEqual(2 * dirs.length);
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('TS151002');

    for (const name of INSTALLED) {
      const dir = path.join(root, `rlhf-plugin-${name}`);
      const packed = sh('npm', ['pack', '--ignore-scripts', '--offline', '--silent', '--pack-destination', root], dir);
      tarballs[name] = path.join(root, packed.stdout.trim().split('\n').pop()!);
      expect(fs.existsSync(tarballs[name])).toBe(true);
    }
  }, 420_000);

  test('installed from tarballs into another project, the plugins validate and train: a job, and a 2-step RL run', async () => {
    expect(Object.keys(tarballs)).toHaveLength(4);
    const proj = path.join(root, 'project');
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'experiment', version: '1.0.0', private: true }));
    sh('npm', ['install', ...NPM_OFFLINE, ...Object.values(tarballs), path.join(REPO, 'core'), path.join(REPO, 'plugins', 'lm'), path.join(REPO, 'plugins', 'algorithms')], proj);
    // installed as a user would have it: a real copy of the plugin, core as the peer
    expect(fs.lstatSync(path.join(proj, 'node_modules', 'rlhf-plugin-polite')).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(proj, 'node_modules', 'rlhf-plugin-polite', 'dist', 'index.js'))).toBe(true);
    const bin = path.join(proj, 'node_modules', '.bin', 'rlhf');

    fs.writeFileSync(
      path.join(proj, 'count.yaml'),
      'plugins: [rlhf-plugin-wordcount]\njob: { use: wordcount, options: { texts: ["one two three", "four five"] } }\nruntime: { backend: cpu, steps: 1 }\n',
    );
    fs.writeFileSync(
      path.join(proj, 'rl.yaml'),
      [
        'plugins: [rlhf-plugin-polite, rlhf-plugin-fixed-prompts, rlhf-plugin-halving, "@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms"]',
        'agent:',
        '  use: gpt',
        '  options:',
        '    init: { contextSize: 32, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { corpus: { sources: [ { name: brown, limit: 200 } ] }, vocabSize: 300 } }',
        '    sampling: { maxNewTokens: 6 }',
        'environment: { use: fixed-prompts, options: { heldOut: 1 } }',
        'rewards:',
        '  - { use: polite, options: { word: e, wholeWord: false } }',
        'algorithm: { use: reinforce, options: { promptsPerIteration: 2, samplesPerPrompt: 2 } }',
        'klController: { use: halving, options: { initial: 0.2, decay: 0.5, min: 0.01 } }',
        'runtime: { backend: cpu, steps: 2, seed: 1 }',
        '',
      ].join('\n'),
    );

    const v = sh(bin, ['validate', 'count.yaml', 'rl.yaml'], proj);
    expect(v.stdout).toContain('ok  count.yaml  (job wordcount');
    expect(v.stdout).toMatch(/ok {2}rl\.yaml {2}\(job rl; agent=gpt, environment=fixed-prompts, algorithm=reinforce, klController=halving, rewards=polite;/);

    const plugins = sh(bin, ['plugins', '--kind', 'reward'], proj);
    expect(plugins.stdout).toContain('polite  (rlhf-plugin-polite@0.1.0)');
    expect(plugins.stdout).toMatch(/word: string = "please" {2}The word to look for/);

    // the editor schema carries the installed plugin's options, found by its rlhf-plugin keyword
    sh(bin, ['schema', '--out', 'recipe.schema.json'], proj);
    const bundle = JSON.parse(fs.readFileSync(path.join(proj, 'recipe.schema.json'), 'utf8'));
    const rewardAlternatives = bundle.properties.rewards.items.anyOf as Array<{ properties: { use: { const?: string }; options?: { properties: Record<string, { default?: unknown }> } } }>;
    const polite = rewardAlternatives.find((a) => a.properties.use.const === 'polite');
    expect(polite?.properties.options?.properties.word.default).toBe('please');

    const job = sh(bin, ['train', 'count.yaml', '--out', 'runs/count'], proj);
    expect(job.stdout).toContain('"words": 5');
    const rows = fs.readFileSync(path.join(proj, 'runs', 'count', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.words)).toEqual([3, 2]);

    const rl = sh(bin, ['train', 'rl.yaml', '--out', 'runs/rl'], proj, { timeout: 120_000 });
    expect(rl.stdout).toContain('run finished: runs/rl');
    const metrics = fs.readFileSync(path.join(proj, 'runs', 'rl', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics).toHaveLength(2);
    // the scaffolded KL controller set beta: 0.2, then 0.2 * 0.5
    expect(metrics.map((m) => m['kl/beta'])).toEqual([0.2, 0.1]);
    // the scaffolded reward scored what the policy generated: 1 when the completion holds an "e"
    const samples = fs.readFileSync(path.join(proj, 'runs', 'rl', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.score).toBe(/e/i.test(s.completion) ? 1 : 0);
    // the scaffolded environment served its own prompts (the held-out last one never)
    const served = new Set(samples.map((s) => s.prompt));
    expect([...served].every((p) => ['The weather today is', 'My favourite meal is', 'On weekends I like to', 'The best book I read was', 'A good friend is someone who'].includes(p))).toBe(true);
  }, 150_000);

  test('the guide\'s example package (examples/rlhf-plugin-keywords) builds and passes its tests against core\'s published API', async () => {
    const dir = path.join(root, 'rlhf-plugin-keywords');
    fs.cpSync(path.join(REPO, 'examples', 'rlhf-plugin-keywords'), dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
    linkDevDependencies(dir);
    const t = sh('npm', ['test', '--silent'], dir);
    expect(t.stdout + t.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    const listed = await rlhf(['plugins', '--plugin', '.'], dir);
    expect(listed.code).toBe(0);
    // a package named by path is listed under its package.json name, with the path
    expect(listed.out).toMatch(/reward\n {2}keyword-bonus {2}\(rlhf-plugin-keywords \(\.\)@0\.1\.0\)/);
    expect(listed.out).toMatch(/scorer\n {2}distinct-words {2}\(rlhf-plugin-keywords \(\.\)@0\.1\.0\)/);
  }, 90_000);

  test('each scaffold\'s recipes/example.yaml validates once the packages it names are installed', async () => {
    for (const name of Object.keys(KINDS)) {
      const dir = path.join(root, `rlhf-plugin-${name}`);
      const nm = path.join(dir, 'node_modules');
      fs.symlinkSync(path.join(REPO, 'plugins', 'lm'), path.join(nm, '@rlhfjs', 'plugin-lm'), 'dir');
      fs.symlinkSync(path.join(REPO, 'plugins', 'algorithms'), path.join(nm, '@rlhfjs', 'plugin-algorithms'), 'dir');
      fs.symlinkSync(path.join(REPO, 'plugins', 'rewards'), path.join(nm, '@rlhfjs', 'plugin-rewards'), 'dir');
      const res = await rlhf(['validate', 'recipes/example.yaml'], dir);
      expect(res.err).toBe('');
      expect(res.out).toContain(`ok  recipes/example.yaml  (job ${KINDS[name as keyof typeof KINDS] === 'job' ? name : 'rl'}`);
    }
  });
});
