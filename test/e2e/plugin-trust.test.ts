/**
 * What a recipe's `plugins` list may load (docs/plugins.md, "Trust"): npm package names and paths to
 * plugin package folders only, checked before any code runs; what `validate` prints about each
 * package; what the manifest records; and run names that stay inside outputDir.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject, rlhf } from '@rlhfjs/core/testing';
import { FIXTURE_PLUGIN, REPO } from '../helpers/paths';

jest.setTimeout(120_000);

let project: ReturnType<typeof makeProject>;
let marker: string;
const job = 'job: { use: count-words, options: { text: "a b c" } }\nloggers: [ { use: memory } ]\nruntime: { backend: cpu }\n';

beforeAll(() => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
  marker = path.join(project.dir, 'marker.txt');
  const evil = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = {};\n`;
  project.write('evil.js', evil);
  project.write('x/evil.js', evil);
  // a folder with a package.json that does not declare itself a plugin package
  project.write('plain/package.json', JSON.stringify({ name: 'plain', version: '1.0.0', main: 'index.js' }));
  project.write('plain/index.js', evil);
  // a plugin package whose main points outside its folder
  project.write('escape/package.json', JSON.stringify({ name: 'escape', version: '1.0.0', main: '../x/evil.js', keywords: ['rlhf-plugin'] }));
  project.write('sub/file.yaml', `plugins: [rlhf-plugin-fixture, ./evil.js]\n${job}`);
  project.write('sub/evil.js', evil);
  project.write('sub/up.yaml', `plugins: [rlhf-plugin-fixture, ../x/evil.js]\n${job}`);
  project.write('walk.yaml', `plugins: [rlhf-plugin-fixture, "@rlhfjs/plugin-rewards/../../../x/evil.js"]\n${job}`);
  project.write('subpath.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-fixture/../../x/evil.js]\n${job}`);
  project.write('plain.yaml', `plugins: [rlhf-plugin-fixture, ./plain]\n${job}`);
  project.write('escape.yaml', `plugins: [rlhf-plugin-fixture, ./escape]\n${job}`);
  project.write('by-path.yaml', `plugins: [${JSON.stringify(FIXTURE_PLUGIN)}]\n${job}`);
  // a package beside a recipe that shadows the project's installed one, without a version
  project.write('shadow/node_modules/rlhf-plugin-fixture/package.json', JSON.stringify({ name: 'rlhf-plugin-fixture', main: 'index.js', keywords: ['rlhf-plugin'] }));
  project.write('shadow/node_modules/rlhf-plugin-fixture/index.js', `module.exports = require(${JSON.stringify(FIXTURE_PLUGIN)});\n`);
  project.write('shadow/count.yaml', `name: shadowed\nplugins: [rlhf-plugin-fixture]\n${job.replace('runtime: { backend: cpu }', 'runtime: { backend: cpu, runName: shadowed }')}`);
  project.write('own.yaml', `plugins: [rlhf-plugin-fixture]\n${job}`);
  project.write('dots.yaml', `plugins: [rlhf-plugin-fixture]\n${job.replace('runtime: { backend: cpu }', 'runtime: { backend: cpu, runName: ".." }')}`);
  project.write('dot.yaml', `plugins: [rlhf-plugin-fixture]\n${job.replace('runtime: { backend: cpu }', 'runtime: { backend: cpu, runName: "." }')}`);
});
afterAll(() => project.cleanup());
beforeEach(() => fs.rmSync(marker, { force: true }));

describe('specs that are refused before any of their code runs', () => {
  test.each([
    ['sub/file.yaml', './evil.js', 'is a file'],
    ['sub/up.yaml', '../x/evil.js', 'is a file'],
    ['walk.yaml', '@rlhfjs/plugin-rewards/../../../x/evil.js', 'neither an npm package name'],
    ['subpath.yaml', 'rlhf-plugin-fixture/../../x/evil.js', 'neither an npm package name'],
    ['plain.yaml', './plain', 'does not declare itself an rlhfjs plugin package'],
    ['escape.yaml', './escape', 'outside its own folder'],
  ])('%s names %s: refused at /plugins/1, the marker its module would write does not exist', async (file, spec, why) => {
    const res = await rlhf(['validate', file], project.dir);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain('/plugins/1');
    expect(res.err).toContain(spec);
    expect(res.err).toContain(why);
    expect(res.err).toContain('fix:');
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('what validate prints about each package', () => {
  test('a path to a plugin package folder is accepted and printed with its folder and version', async () => {
    const res = await rlhf(['validate', 'by-path.yaml'], project.dir);
    expect(res.err).toBe('');
    const version = (JSON.parse(fs.readFileSync(path.join(FIXTURE_PLUGIN, 'package.json'), 'utf8')) as { version: string }).version;
    expect(res.out).toContain(`package rlhf-plugin-fixture@${version}  ${fs.realpathSync(FIXTURE_PLUGIN)}  (named by path ${FIXTURE_PLUGIN})`);
  });

  test("the project's own installed package is printed without a mark; one beside the recipe that shadows it is named with both paths", async () => {
    const installed = await rlhf(['validate', 'own.yaml'], project.dir);
    expect(installed.err).toBe('');
    expect(installed.out).toMatch(new RegExp(`package rlhf-plugin-fixture@\\S+  ${escape(fs.realpathSync(FIXTURE_PLUGIN))}\\n`));
    const shadowed = await rlhf(['validate', 'shadow/count.yaml'], project.dir);
    expect(shadowed.err).toBe('');
    const shadowDir = path.join(fs.realpathSync(project.dir), 'shadow', 'node_modules', 'rlhf-plugin-fixture');
    expect(shadowed.out).toContain(`package rlhf-plugin-fixture@(no version)  ${shadowDir}  (not the project's own: resolved from ${path.dirname(shadowDir)}; the project's node_modules has ${fs.realpathSync(FIXTURE_PLUGIN)})`);
  });
});

test('the manifest records each package: name, version (null when package.json has none), resolved path, sha256 of package.json', async () => {
  const res = await rlhf(['train', 'shadow/count.yaml'], project.dir);
  expect(res.code).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(project.dir, 'shadow', 'runs', 'shadowed', 'manifest.json'), 'utf8')) as {
    versions: { plugins: Record<string, string | null> };
    pluginPackages: Array<{ spec: string; name: string; version: string | null; path: string; packageJsonSha256: string }>;
  };
  expect(manifest.versions.plugins).toEqual({ 'rlhf-plugin-fixture': null });
  const dir = path.join(fs.realpathSync(project.dir), 'shadow', 'node_modules', 'rlhf-plugin-fixture');
  const sha = createHash('sha256').update(fs.readFileSync(path.join(dir, 'package.json'))).digest('hex');
  expect(manifest.pluginPackages).toEqual([{ spec: 'rlhf-plugin-fixture', name: 'rlhf-plugin-fixture', version: null, path: dir, packageJsonSha256: sha }]);
});

describe('runtime.runName stays inside outputDir', () => {
  test.each([['dots.yaml', '..'], ['dot.yaml', '.']])('%s (runName %s) is refused by validate and train creates nothing', async (file) => {
    const res = await rlhf(['validate', file], project.dir);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain('/runtime/runName');
    expect(res.err).toContain('not "." or ".."');
    const before = fs.readdirSync(project.dir).sort();
    const t = await rlhf(['train', file], project.dir);
    expect(t.code).not.toBe(0);
    expect(fs.readdirSync(project.dir).sort()).toEqual(before);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('rlhf validate --help states the trust model: naming a package runs its code, which specs are accepted', async () => {
  // yargs prints help through console.log, so this one runs the command line in a child process
  const res = spawnSync(process.execPath, [path.join(REPO, 'core', 'bin', 'rlhf.js'), 'validate', '--help'], { cwd: project.dir, encoding: 'utf8' });
  expect(res.status).toBe(0);
  const text = res.stdout;
  expect(text).toContain('naming a plugin package in a recipe runs its code');
  expect(text).toContain('an npm package name');
  expect(text).toContain('"keywords": ["rlhf-plugin"]');
  expect(text).toContain('refused before any of its code runs');
  expect(text).toContain('sha256 of its package.json');
});
