import { isPackageName, isPathSpec } from './load-package';

describe('which plugins entries are package names and which are paths', () => {
  test.each(['@rlhfjs/plugin-rewards', 'rlhf-plugin-keywords', 'a', 'pkg.js', '@scope/a_b~c'])('%s is a package name', (spec) => {
    expect(isPackageName(spec)).toBe(true);
    expect(isPathSpec(spec)).toBe(false);
  });
  test.each(['@rlhfjs/plugin-rewards/../../../x/evil.js', 'pkg/lib/x.js', '..', '.hidden', 'Upper', '@scope', '@scope/', '@../x', 'a b', 'x'.repeat(215)])('%s is not a package name', (spec) => {
    expect(isPackageName(spec)).toBe(false);
  });
  test.each(['.', '..', './x', '../x', '/abs/x'])('%s is written as a path', (spec) => {
    expect(isPathSpec(spec)).toBe(true);
  });
  test.each(['x/./y', 'evil.js', '.x', '..x'])('%s is not written as a path', (spec) => {
    expect(isPathSpec(spec)).toBe(false);
  });
});
