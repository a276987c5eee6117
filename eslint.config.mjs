// The project's architecture rules, held by the linter rather than by prose. `npm test` runs it, and
// test/lint-walls.test.ts checks that each wall still refuses what it is there to refuse.
import tseslint from 'typescript-eslint';

const packages = ['core', 'plugin-lm', 'plugin-algorithms', 'plugin-rewards', 'plugin-loggers', 'native-kernels', 'schemas'];

/** Reaching into another package's files (its src/ or dist/), by package name or by relative path. */
const deepImports = [
  { regex: `^@rlhfjs/(${packages.join('|')})/(src|dist)(/|$)`, message: 'Import a package by its name or a public subpath (e.g. @rlhfjs/core/testing), never its src/ or dist/.' },
  { regex: '^(\\.\\./)+(core|plugins|schemas|test)/', message: 'Do not reach into another package by relative path; import it by its package name.' },
  { regex: '^(\\.\\./){2,}(lm|algorithms|rewards|loggers|native-kernels)/', message: 'Do not reach into another plugin package by relative path; import it by its package name.' },
];

const OTHER_PLUGIN = 'A plugin imports only @rlhfjs/core and its public subpaths; reach other plugins through a contract and a DI token in core.';

/** Plugins see the framework only through @rlhfjs/core (and its public subpaths), never each other or another package of the project. */
const pluginImports = [...deepImports, { regex: '^@rlhfjs/(?!core(/|$))', message: OTHER_PLUGIN }];

const TENSOR_RUNTIME = 'Recipe loading and validation must not load a tensor runtime; use `import type` or move the code to runtime/.';

/**
 * Rooms that run before any backend is chosen (loading and validating a recipe) import no tensor
 * runtime: not tfjs, not the native kernels, not the core modules whose functions load them
 * (runtime/backend, runtime/native-ops, runtime/gradients, the training kit in train/).
 */
const noTensorRuntime = [
  ...deepImports,
  { regex: '^@tensorflow/', allowTypeImports: true, message: TENSOR_RUNTIME },
  { regex: '^@rlhfjs/native-kernels(/|$)', allowTypeImports: true, message: TENSOR_RUNTIME },
  { regex: '(^|/)runtime/(backend|native-ops|gradients)$', allowTypeImports: true, message: TENSOR_RUNTIME },
  { regex: '^(\\.\\./)+train(/|$)', allowTypeImports: true, message: TENSOR_RUNTIME },
];

/** `require('x')` with a string, which no-restricted-imports does not see. */
const requireOf = (regex) => `CallExpression[callee.name='require'][arguments.0.type='Literal'][arguments.0.value=/${regex}/]`;

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'test/tmp/**',
      // the files `rlhf init plugin` copies, placeholders and all; test/plugin-kit/scaffold-e2e.test.ts compiles what they become
      'core/templates/**',
      // benchmark harnesses time package internals on purpose (they load dist/ files by path) and print their tables
      'bench/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', { patterns: deepImports }],
    },
  },
  {
    // the example package in examples/ is a plugin like the built-in ones
    files: ['plugins/*/src/**/*.ts', 'examples/*/src/**/*.ts'],
    // a plugin's tests may use another package's public API and its testing subpath as fixtures (a
    // reward model's test needs a real language model); they still may not reach into its files
    ignores: ['**/*.test.ts', '**/__fixtures__/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: pluginImports }],
      'no-restricted-syntax': ['error', { selector: requireOf('^@rlhfjs\\/(?!core(\\/|$))'), message: OTHER_PLUGIN }],
    },
  },
  {
    files: ['core/src/recipe/**/*.ts', 'core/src/plugin/**/*.ts', 'core/src/diagnostics/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: noTensorRuntime }],
      'no-restricted-syntax': ['error', { selector: requireOf('^(@tensorflow\\/|@rlhfjs\\/native-kernels)'), message: TENSOR_RUNTIME }],
    },
  },
  {
    // the diagnostics room imports nothing else of the project, so every room can use it
    files: ['core/src/diagnostics/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noTensorRuntime, { regex: '^(\\.\\./|@rlhfjs/)', message: 'diagnostics/ imports nothing from the rest of core (or any other package of the project).' }] }] },
  },
  {
    // the command line and tests talk to a terminal
    files: ['core/src/cli/**/*.ts', '**/*.test.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
