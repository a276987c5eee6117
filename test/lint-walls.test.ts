/**
 * The architecture walls of eslint.config.mjs still bite: each forbidden import (or console call)
 * linted as if it were a file in the room it is forbidden in gets that wall's message, and the
 * nearby allowed form gets none. ESLint loads its config with import(), which jest's module
 * registry does not support, so the linting runs in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';
import { REPO } from './helpers/paths';

type Case = { file: string; code: string };
type Message = { ruleId: string | null; message: string };

function lint(cases: Case[]): Message[][] {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const c of JSON.parse(process.argv[1])) {
        const [r] = await eslint.lintText(c.code, { filePath: c.file });
        out.push(r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(cases)], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Message[][];
}

const OTHER_PLUGIN = 'A plugin imports only @rlhfjs/core and its public subpaths; reach other plugins through a contract and a DI token in core.';
const DEEP_NAME = 'Import a package by its name or a public subpath (e.g. @rlhfjs/core/testing), never its src/ or dist/.';
const DEEP_PATH = 'Do not reach into another package by relative path; import it by its package name.';
const DEEP_PLUGIN_PATH = 'Do not reach into another plugin package by relative path; import it by its package name.';
const TENSOR_RUNTIME = 'Recipe loading and validation must not load a tensor runtime; use `import type` or move the code to runtime/.';
const DIAGNOSTICS = 'diagnostics/ imports nothing from the rest of core (or any other package of the project).';

test('every wall refuses what it is there for, with its message', () => {
  const walls: Array<Case & { rule: string; says: string }> = [
    { file: 'plugins/rewards/src/x.ts', code: "import { GPTModel } from '@rlhfjs/plugin-lm';\nexport { GPTModel };\n", rule: 'no-restricted-imports', says: OTHER_PLUGIN },
    { file: 'plugins/loggers/src/x.ts', code: "const nk = require('@rlhfjs/native-kernels');\nexport { nk };\n", rule: 'no-restricted-syntax', says: OTHER_PLUGIN },
    { file: 'examples/rlhf-plugin-keywords/src/x.ts', code: "import { recipeSchema } from '@rlhfjs/schemas';\nexport { recipeSchema };\n", rule: 'no-restricted-imports', says: OTHER_PLUGIN },
    { file: 'plugins/rewards/src/x.ts', code: "import { Tokens } from '@rlhfjs/core/src/container/tokens';\nexport { Tokens };\n", rule: 'no-restricted-imports', says: DEEP_NAME },
    { file: 'plugins/rewards/src/x.ts', code: "import { GPTModel } from '../../lm/src/model/gpt';\nexport { GPTModel };\n", rule: 'no-restricted-imports', says: DEEP_PLUGIN_PATH },
    { file: 'test/e2e/x.test.ts', code: "import { scaffoldFiles } from '../../core/src/cli/scaffold';\nexport { scaffoldFiles };\n", rule: 'no-restricted-imports', says: DEEP_PATH },
    { file: 'core/src/recipe/x.ts', code: "import * as tf from '@tensorflow/tfjs-core';\nexport { tf };\n", rule: 'no-restricted-imports', says: TENSOR_RUNTIME },
    { file: 'core/src/plugin/x.ts', code: "const tf = require('@tensorflow/tfjs');\nexport { tf };\n", rule: 'no-restricted-syntax', says: TENSOR_RUNTIME },
    { file: 'core/src/recipe/x.ts', code: "import { createTensorRuntime } from '../runtime/backend';\nexport { createTensorRuntime };\n", rule: 'no-restricted-imports', says: TENSOR_RUNTIME },
    { file: 'core/src/diagnostics/x.ts', code: "import { PLUGIN_KINDS } from '../plugin/kinds';\nexport { PLUGIN_KINDS };\n", rule: 'no-restricted-imports', says: DIAGNOSTICS },
    { file: 'plugins/rewards/src/x.ts', code: "console.log('scored');\n", rule: 'no-console', says: 'Unexpected console statement.' },
    { file: 'core/src/runner/x.ts', code: "console.warn('step');\n", rule: 'no-console', says: 'Unexpected console statement.' },
  ];
  const found = lint(walls);
  walls.forEach((w, i) => {
    expect({ file: w.file, code: w.code, messages: found[i] }).toEqual({ file: w.file, code: w.code, messages: [{ ruleId: w.rule, message: expect.stringContaining(w.says) }] });
  });
});

test('what the walls allow passes: core and its public subpaths, type imports of tfjs, the console in the CLI and tests', () => {
  const allowed: Case[] = [
    { file: 'plugins/rewards/src/x.ts', code: "import { Tokens } from '@rlhfjs/core';\nimport { testPluginPackage } from '@rlhfjs/core/testing';\nconst core = require('@rlhfjs/core');\nexport { Tokens, testPluginPackage, core };\n" },
    { file: 'plugins/rewards/src/x.test.ts', code: "import { tinyModel } from '@rlhfjs/plugin-lm/testing';\nexport { tinyModel };\n" },
    { file: 'core/src/recipe/x.ts', code: "import type * as tfc from '@tensorflow/tfjs-core';\nexport type T = tfc.Tensor;\n" },
    { file: 'core/src/diagnostics/x.ts', code: "import { formatDiagnostic } from './format';\nexport { formatDiagnostic };\n" },
    { file: 'core/src/cli/x.ts', code: "console.log('done');\n" },
    { file: 'test/e2e/x.test.ts', code: "console.log('done');\n" },
  ];
  expect(lint(allowed).map((m, i) => [allowed[i].file, m])).toEqual(allowed.map((c) => [c.file, []]));
});

test('a stale eslint-disable comment is an error', () => {
  const [messages] = lint([{ file: 'core/src/cli/x.ts', code: "// eslint-disable-next-line no-console\nconsole.log('done');\n" }]);
  expect(messages).toEqual([{ ruleId: null, message: expect.stringContaining("Unused eslint-disable directive (no problems were reported from 'no-console')") }]);
});
