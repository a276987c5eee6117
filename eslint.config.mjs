// The project's architecture rules, held by the linter rather than by prose. `npm test` runs it.
import tseslint from 'typescript-eslint';

const packages = ['core', 'plugin-lm', 'plugin-algorithms', 'plugin-rewards', 'plugin-loggers', 'native-kernels', 'schemas'];

/** Reaching into another package's files (its src/ or dist/), by package name or by relative path. */
const deepImports = [
  { regex: `^@rlhfjs/(${packages.join('|')})/(src|dist)(/|$)`, message: 'Import a package by its name or a public subpath (e.g. @rlhfjs/core/testing), never its src/ or dist/.' },
  { regex: '^(\\.\\./)+(core|plugins|schemas|test)/', message: 'Do not reach into another package by relative path; import it by its package name.' },
  { regex: '^(\\.\\./){2,}(lm|algorithms|rewards|loggers|native-kernels)/', message: 'Do not reach into another plugin package by relative path; import it by its package name.' },
];

/** Plugins see the framework only through @rlhfjs/core (and its public subpaths), never each other. */
const pluginImports = [
  ...deepImports,
  { regex: '^@rlhfjs/(plugin-[a-z-]+|native-kernels)(/|$)', message: 'A plugin imports only @rlhfjs/core and its public subpaths; reach other plugins through a contract and a DI token in core.' },
];

/** Rooms that run before any backend is chosen (loading and validating a recipe) import no tensor runtime. */
const noTensorRuntime = [
  ...deepImports,
  { regex: '^@tensorflow/', allowTypeImports: true, message: 'Recipe loading and validation must not load a tensor runtime; use `import type` or move the code to runtime/.' },
  { regex: '(^|/)runtime/(backend|native-ops|gradients)$', allowTypeImports: true, message: 'Recipe loading and validation must not load a tensor runtime.' },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'test/tmp/**', 'core/templates/**', 'examples/**', 'bench/**', '**/*.js', '**/*.mjs'] },
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
    files: ['plugins/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/__fixtures__/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: pluginImports }] },
  },
  {
    files: ['core/src/recipe/**/*.ts', 'core/src/plugin/**/*.ts', 'core/src/diagnostics/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: noTensorRuntime }] },
  },
  {
    // the diagnostics room imports nothing else of the project, so every room can use it
    files: ['core/src/diagnostics/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noTensorRuntime, { regex: '^\\.\\./', message: 'diagnostics/ imports nothing from the rest of core.' }] }] },
  },
  {
    // the command line, tests and benchmarks talk to a terminal
    files: ['core/src/cli/**/*.ts', '**/*.test.ts', 'test/**/*.ts', 'plugins/*/scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
