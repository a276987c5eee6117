/**
 * What a user sees from `rlhf validate` when a recipe names a package that is not a plugin package,
 * one built for another core API version, or two packages that register the same kind and name.
 */
import { makeProject } from '@rlhfjs/core/testing';
import { FIXTURE_PLUGIN } from '../helpers/paths';
import { CORE_API_VERSION } from '@rlhfjs/core';
import { rlhf } from './kit-helpers';

let project: ReturnType<typeof makeProject>;

/** A plugin package written as an author would publish it (plain CommonJS, core as a peer). */
function pkg(name: string, index: string): void {
  project.write(`node_modules/${name}/package.json`, JSON.stringify({ name, version: '2.0.0', main: 'index.js', keywords: ['rlhf-plugin'], peerDependencies: { '@rlhfjs/core': '*' } }));
  project.write(`node_modules/${name}/index.js`, index);
}

const reward = (name: string): string => `definePlugin({
  kind: 'reward', name: '${name}', description: 'Scores 1.',
  options: { type: 'object', additionalProperties: false, properties: {} },
  create() { return { async score(s) { return { scores: s.map(() => 1) }; } }; },
})`;

beforeAll(() => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
  pkg('rlhf-plugin-lodash-like', "'use strict';\nmodule.exports = { chunk(xs, n) { return [xs.slice(0, n)]; } };\n");
  pkg('rlhf-plugin-handmade', "'use strict';\nmodule.exports = { plugins: [] };\n");
  pkg('rlhf-plugin-future', `'use strict';\nconst { definePackage, definePlugin } = require('@rlhfjs/core');\nmodule.exports = definePackage({ apiVersion: '3.0', plugins: [${reward('future')}] });\n`);
  pkg('rlhf-plugin-newer-minor', `'use strict';\nconst { definePackage, definePlugin } = require('@rlhfjs/core');\nmodule.exports = definePackage({ apiVersion: '2.9', plugins: [${reward('newer')}] });\n`);
  pkg('rlhf-plugin-clash-a', `'use strict';\nconst { definePackage, definePlugin } = require('@rlhfjs/core');\nmodule.exports = definePackage({ plugins: [${reward('same-name')}] });\n`);
  pkg('rlhf-plugin-clash-b', `'use strict';\nconst { definePackage, definePlugin } = require('@rlhfjs/core');\nexports.default = definePackage({ plugins: [${reward('same-name')}] });\n`);
  pkg('rlhf-plugin-broken', "'use strict';\nrequire('./missing-file');\n");
  const job = 'job: { use: count-words, options: { text: "a b" } }\nloggers: [ { use: memory } ]\n';
  project.write('not-a-package.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-lodash-like]\n${job}`);
  project.write('handmade.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-handmade]\n${job}`);
  project.write('api.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-future]\n${job}`);
  project.write('minor.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-newer-minor]\n${job}`);
  project.write('clash.yaml', `plugins:\n  - rlhf-plugin-fixture\n  - rlhf-plugin-clash-a\n  - rlhf-plugin-clash-b\n${job}`);
  project.write('broken.yaml', `plugins: [rlhf-plugin-fixture, rlhf-plugin-broken, rlhf-plugin-not-installed]\n${job}`);
});
afterAll(() => project.cleanup());

describe('rlhf validate on recipes naming bad plugin packages', () => {
  test('a package whose export is not a plugin package: named, located at its plugins entry, with the fix', async () => {
    const res = await rlhf(['validate', 'not-a-package.yaml'], project.dir);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/not-a-package\.yaml:1:\d+ {2}\/plugins\/1 {2}\[rlhf-plugin-lodash-like\]/);
    expect(res.err).toContain('rlhf-plugin-lodash-like is not an rlhfjs plugin package: its default export is not a plugin package');
    expect(res.err).toContain("fix: default-export definePackage({ plugins: [...] }) from '@rlhfjs/core' in rlhf-plugin-lodash-like's main module");
    expect(res.err).not.toMatch(/\n\s+at /);

    const handmade = await rlhf(['validate', 'handmade.yaml'], project.dir);
    expect(handmade.err).toContain('has a plugins list but was not made by definePackage');
  });

  test('a package built for another core API version: both versions named, and what to install', async () => {
    const res = await rlhf(['validate', 'api.yaml'], project.dir);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/api\.yaml:1:\d+ {2}\/plugins\/1 {2}\[rlhf-plugin-future\]/);
    expect(res.err).toContain(`rlhf-plugin-future targets plugin API 3.0, but this core provides API ${CORE_API_VERSION}`);
    expect(res.err).toContain(`install a version of rlhf-plugin-future built for API ${CORE_API_VERSION.split('.')[0]}.x, or a version of @rlhfjs/core that provides API 3.0`);
    // same major but a newer minor: the package may use what this core lacks
    const minor = await rlhf(['validate', 'minor.yaml'], project.dir);
    expect(minor.code).toBe(2);
    expect(minor.err).toContain(`rlhf-plugin-newer-minor targets plugin API 2.9, but this core provides API ${CORE_API_VERSION}`);
  });

  test('two packages registering the same kind and name: both packages named, the second one located', async () => {
    const res = await rlhf(['validate', 'clash.yaml'], project.dir);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/clash\.yaml:4:\d+ {2}\/plugins\/2 {2}\[reward\/same-name\]/);
    expect(res.err).toContain('two packages register the reward plugin "same-name": rlhf-plugin-clash-a and rlhf-plugin-clash-b');
    expect(res.err).toContain("remove one of the two packages from the recipe's plugins list, or rename the plugin in one of them");
  });

  test('a package that fails to load and one that is not installed are reported together', async () => {
    const res = await rlhf(['validate', 'broken.yaml'], project.dir);
    expect(res.code).toBe(2);
    expect(res.err).toContain('2 problems');
    expect(res.err).toContain("plugin package rlhf-plugin-broken failed to load: Cannot find module './missing-file'");
    expect(res.err).toContain('plugin package rlhf-plugin-not-installed is not installed where the recipe can see it');
    expect(res.err).toContain('npm install rlhf-plugin-not-installed');
  });

  test('the same recipes with good packages validate (the failures above come from the packages)', async () => {
    project.write('good.yaml', 'plugins: [rlhf-plugin-fixture, rlhf-plugin-clash-a]\njob: { use: count-words, options: { text: "a b" } }\nloggers: [ { use: memory } ]\nrewards: [ { use: same-name } ]\n');
    const res = await rlhf(['validate', 'good.yaml'], project.dir);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('ok  good.yaml  (job count-words');
  });
});
