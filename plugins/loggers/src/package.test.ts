/** The plugin conformance kit of core, run over every logger of this package. */
import { testPluginPackage } from '@rlhfjs/core/testing';
import pkg from './index';

describe('plugin package', () => {
  it('holds the console, csv and tensorboard loggers', () => {
    expect(pkg.plugins.map((p) => `${p.kind}/${p.name}`)).toEqual(['logger/console', 'logger/csv', 'logger/tensorboard']);
  });
});

// the conformance run prints the console logger's lines; keep them out of the test output
beforeAll(() => jest.spyOn(process.stderr, 'write').mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

testPluginPackage(pkg, {
  packageJson: require('../package.json'),
});
