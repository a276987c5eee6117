/**
 * The packages as a user gets them: every workspace package is published (`npm run release`) to a
 * local registry (verdaccio on 127.0.0.1, test/e2e/local-registry.ts), then, in empty folders with
 * only that registry configured: install core and the built-in plugins by name, scaffold a plugin
 * with `npx rlhf init plugin`, `npm install && npm test` it, `npm publish` it, install it by name
 * into the project and train a two-step recipe with it. No symlinks, no file: or workspace paths.
 *
 * Third-party dependencies (tfjs, yaml, jest...) are proxied from the registry npm is configured
 * with here; when that registry cannot be reached the test says so and does nothing else.
 * Slow (npm installs): it logs the package count and every install time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNNER_METRICS } from '@rlhfjs/core';
import { REPO } from '../helpers/paths';
import { configuredRegistry, reachable, request, run, startRegistry, type LocalRegistry } from './local-registry';

const WORKSPACES = ['core', 'schemas', 'plugins/lm', 'plugins/algorithms', 'plugins/rewards', 'plugins/loggers', 'plugins/native-kernels'];
const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];
/**
 * Installs skip dependency install scripts: they build or download what this test does not use
 * (the optional native kernels' compile, tfjs-node's libtensorflow download, webgpu's postinstall)
 * and took minutes on a loaded 2-core machine. The packages still resolve and install; the native
 * kernels then report themselves off, which the README's "Installing" section covers
 * (`npm rebuild @rlhfjs/native-kernels`).
 */
const NPM_INSTALL = ['install', '--ignore-scripts', '--prefer-offline', ...NPM_QUIET];

let tmp: string;
let reg: LocalRegistry | undefined;
const log: string[] = [];
const note = (line: string): void => {
  log.push(line);
  process.stdout.write(`[registry e2e] ${line}\n`);
};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-registry-'));
});
afterAll(async () => {
  if (reg) await reg.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (log.length) process.stdout.write(`[registry e2e] summary\n  ${log.join('\n  ')}\n`);
}, 30_000);

function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every symlink below dir (a user's install has none of ours), as paths relative to dir. */
function symlinks(dir: string, under: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        if (under(r)) out.push(r);
      } else if (e.isDirectory() && (under(r) || r === 'node_modules' || r === 'node_modules/@rlhfjs')) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out;
}

test('published to a local registry, the packages install by name, scaffold a plugin that tests and publishes, and train with it', async () => {
  const upstream = configuredRegistry();
  const why = await reachable(upstream);
  if (why) {
    process.stdout.write(`[registry e2e] SKIPPED: third-party packages are proxied from ${upstream}, and ${why}\n`);
    return;
  }
  reg = await startRegistry(path.join(tmp, 'registry'), path.join(REPO, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), upstream);
  note(`registry ${reg.url} (third-party packages proxied from ${upstream})`);

  // 1. the release script publishes every workspace package, at the lockstep version
  const version = readJson<{ version: string }>(path.join(REPO, 'lerna.json')).version;
  const names = WORKSPACES.map((w) => readJson<{ name: string; version: string }>(path.join(REPO, w, 'package.json')));
  for (const pj of names) expect(`${pj.name}@${pj.version}`).toBe(`${pj.name}@${version}`);
  const pub = run(reg, 'npm', ['run', 'release', '--', '--registry', reg.url], REPO, 420_000, { publish: true });
  note(`npm run release: ${names.length} packages published in ${pub.seconds.toFixed(1)} s`);
  for (const { name } of names) {
    const res = await request(new URL(name.replace('/', '%2f'), reg.url).href);
    expect(`${name}: ${res.status}`).toBe(`${name}: 200`);
    const doc = res.json as { 'dist-tags': { latest: string }; versions: Record<string, Record<string, Record<string, string> | undefined>> };
    expect(doc['dist-tags'].latest).toBe(version);
    const manifest = doc.versions[version];
    // dependencies resolve by version, never by a path or a workspace protocol
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
        expect(`${name} ${field} ${dep}@${spec}`).not.toMatch(/@(file:|link:|workspace:|\.|\/)/);
        if (dep.startsWith('@rlhfjs/')) expect(`${dep}@${spec}`).toBe(`${dep}@${version}`);
      }
    }
  }

  // 2. a new project: core and two built-in plugins, by name, as a user installs them
  const proj = path.join(tmp, 'experiment');
  fs.mkdirSync(proj);
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'experiment', version: '1.0.0', private: true }, null, 2));
  const inst = run(reg, 'npm', [...NPM_INSTALL, '@rlhfjs/core', '@rlhfjs/plugin-lm', '@rlhfjs/plugin-algorithms', '@rlhfjs/plugin-rewards'], proj, 600_000);
  const lock = readJson<{ packages: Record<string, { resolved?: string; version?: string; link?: boolean }> }>(path.join(proj, 'package-lock.json'));
  const installed = Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/'));
  note(`npm install @rlhfjs/core @rlhfjs/plugin-lm @rlhfjs/plugin-algorithms @rlhfjs/plugin-rewards: ${installed.length} packages in ${inst.seconds.toFixed(1)} s`);
  for (const ours of ['@rlhfjs/core', '@rlhfjs/schemas', '@rlhfjs/plugin-lm', '@rlhfjs/plugin-algorithms', '@rlhfjs/plugin-rewards']) {
    const entry = lock.packages[`node_modules/${ours}`];
    expect(`${ours} ${entry?.version} ${entry?.resolved?.startsWith(reg.url) ? 'from the local registry' : entry?.resolved}`).toBe(`${ours} ${version} from the local registry`);
  }
  expect(Object.values(lock.packages).filter((p) => p.link)).toEqual([]);
  expect(symlinks(proj, (r) => r.startsWith('node_modules/@rlhfjs/'))).toEqual([]);
  // the optional native kernels install with core; their compile is an install script, skipped
  // here, so they report themselves off and say how to turn them on
  const nk = run(reg, process.execPath, ['-e', "try { const r = require('@rlhfjs/native-kernels').nativeKernelsAvailable(); console.log(r.ok ? 'on' : 'off: ' + r.reason) } catch (e) { console.log('not installed: ' + e.message.split('\\n')[0]) }"], proj);
  note(`native kernels in the project: ${nk.stdout.trim()}`);

  // 3. scaffold an algorithm package with the installed CLI, in a folder of its own
  const pluginsDir = path.join(tmp, 'plugins');
  fs.mkdirSync(pluginsDir);
  const init = run(reg, 'npx', ['--no-install', 'rlhf', 'init', 'plugin', 'boost', '--kind', 'algorithm', '--dir', pluginsDir], proj);
  expect(init.stdout).toContain('created rlhf-plugin-boost (algorithm plugin "boost")');
  const pkgDir = path.join(pluginsDir, 'rlhf-plugin-boost');
  const lines = fs.readFileSync(path.join(pkgDir, 'src', 'index.ts'), 'utf8').trimEnd().split('\n').length;
  note(`the scaffolded algorithm (REINFORCE++-style, on the core toolkit): src/index.ts ${lines} lines`);
  const pkg = readJson<{ devDependencies: Record<string, string>; peerDependencies: Record<string, string> }>(path.join(pkgDir, 'package.json'));
  expect(pkg.devDependencies['@rlhfjs/core']).toBe(version);
  expect(pkg.peerDependencies['@rlhfjs/core']).toBe(`^${version}`);

  // 4. npm install && npm test, exactly as the scaffold's README says
  const pinst = run(reg, 'npm', NPM_INSTALL, pkgDir, 600_000);
  const plock = readJson<{ packages: Record<string, unknown> }>(path.join(pkgDir, 'package-lock.json'));
  note(`npm install in the scaffold: ${Object.keys(plock.packages).length - 1} packages in ${pinst.seconds.toFixed(1)} s`);
  expect(fs.lstatSync(path.join(pkgDir, 'node_modules', '@rlhfjs', 'core')).isSymbolicLink()).toBe(false);
  const ptest = run(reg, 'npm', ['test'], pkgDir, 300_000);
  const summary = (ptest.stdout + ptest.stderr).match(/Tests:\s+(\d+) passed, (\d+) total/);
  expect(summary?.[1]).toBe(summary?.[2]);
  expect(Number(summary?.[1])).toBeGreaterThanOrEqual(2);
  note(`npm test in the scaffold: ${summary?.[0]} in ${ptest.seconds.toFixed(1)} s`);

  // 5. npm publish (prepack builds it), then the project installs it by name
  run(reg, 'npm', ['publish', ...NPM_QUIET], pkgDir, 300_000, { publish: true });
  const add = run(reg, 'npm', [...NPM_INSTALL, 'rlhf-plugin-boost'], proj, 300_000);
  note(`npm install rlhf-plugin-boost: ${add.seconds.toFixed(1)} s`);
  const plugin = path.join(proj, 'node_modules', 'rlhf-plugin-boost');
  expect(fs.lstatSync(plugin).isSymbolicLink()).toBe(false);
  expect(fs.existsSync(path.join(plugin, 'dist', 'index.js'))).toBe(true);
  expect(readJson<{ dependencies: Record<string, string> }>(path.join(proj, 'package.json')).dependencies['rlhf-plugin-boost']).toBe(`^0.1.0`);

  // 6. a recipe that names it, validated and trained with the project's own rlhf
  // the reward: a function of the project, through @rlhfjs/plugin-rewards
  fs.writeFileSync(path.join(proj, 'has-e.js'), "module.exports = (samples) => samples.map((s) => (/e/i.test(s.completion) ? 2 : 0));\n");
  fs.writeFileSync(
    path.join(proj, 'rl.yaml'),
    [
      'plugins: [rlhf-plugin-boost, "@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms", "@rlhfjs/plugin-rewards"]',
      'agent:',
      '  use: gpt',
      '  options:',
      '    init: { contextSize: 32, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { corpus: { sources: [ { name: brown, limit: 200 } ] }, vocabSize: 300 } }',
      '    sampling: { maxNewTokens: 6 }',
      'environment: { use: prompts, options: { corpus: { sources: [ { name: brown, limit: 200 } ] }, cut: { split: all } } }',
      'rewards:',
      '  - { use: function, options: { module: has-e.js } }',
      'algorithm: { use: boost, options: { promptsPerIteration: 2, samplesPerPrompt: 2 } }',
      'klController: { use: fixed }',
      'runtime: { backend: cpu, steps: 2, seed: 1 }',
      '',
    ].join('\n'),
  );
  const v = run(reg, 'npx', ['--no-install', 'rlhf', 'validate', 'rl.yaml'], proj);
  expect(v.stdout).toMatch(/ok {2}rl\.yaml {2}\(job rl; agent=gpt, environment=prompts, algorithm=boost, klController=fixed, rewards=function;/);
  const train = run(reg, 'npx', ['--no-install', 'rlhf', 'train', 'rl.yaml', '--out', 'runs/rl'], proj, 300_000);
  note(`rlhf train (2 steps) with the published plugin: ${train.seconds.toFixed(1)} s`);
  const metrics = fs.readFileSync(path.join(proj, 'runs', 'rl', 'metrics.jsonl'), 'utf8').trim().split('\n');
  expect(metrics).toHaveLength(2);
  for (const row of metrics.map((l) => JSON.parse(l) as Record<string, number>)) {
    expect(Number.isFinite(row['loss/policy'])).toBe(true);
    expect(Number.isFinite(row['return/mean'])).toBe(true);
    // and the runner's own, as RUNNER_METRICS lists them (reward/<source> is reward/function here)
    const runner = Object.keys(RUNNER_METRICS).map((k) => k.replace('<source>', 'function'));
    expect(runner.filter((k) => typeof row[k] !== 'number')).toEqual([]);
  }
  // the published algorithm trained: its own metrics are in every row; the reward scored what the policy generated: 2 when the completion holds an "e"
  const samples = fs.readFileSync(path.join(proj, 'runs', 'rl', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completion: string; score: number });
  expect(samples.length).toBeGreaterThan(0);
  for (const s of samples) expect(s.score).toBe(/e/i.test(s.completion) ? 2 : 0);
}, 1_500_000);
