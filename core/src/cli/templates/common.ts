/**
 * The files every scaffolded plugin package shares. Templates are plain strings with
 * __PLACEHOLDERS__ (no template literals inside the generated code), filled by `fill()`.
 */

/** Versions of the tools a scaffolded package builds and tests with (the ones this repository uses). */
export const TOOL_VERSIONS = {
  typescript: '5.9.3',
  jest: '30.5.2',
  'ts-jest': '29.4.15',
  '@types/jest': '30.0.0',
  '@types/node': '20.19.8',
} as const;

export interface TemplateValues {
  /** npm package name, e.g. rlhf-plugin-polite or @acme/rlhf-plugin-polite. */
  PACKAGE: string;
  /** The plugin's name within its kind, e.g. polite. */
  PLUGIN: string;
  /** A camelCase identifier for the plugin's export, e.g. politeReward. */
  EXPORT: string;
  KIND: string;
  /** Version of @rlhfjs/core that scaffolded the package. */
  CORE_VERSION: string;
  API_VERSION: string;
}

export function fill(template: string, v: TemplateValues): string {
  return template.replace(/__([A-Z_]+)__/g, (m, key: string) => (key in v ? String(v[key as keyof TemplateValues]) : m));
}

export function packageJson(v: TemplateValues, description: string): string {
  const pkg = {
    name: v.PACKAGE,
    version: '0.1.0',
    description,
    license: 'Apache-2.0',
    main: 'dist/index.js',
    types: 'dist/index.d.ts',
    files: ['dist', 'recipes', 'README.md'],
    keywords: ['rlhf-plugin', 'rlhfjs'],
    scripts: {
      build: 'tsc -p tsconfig.json',
      test: 'npm run build && jest',
      prepack: 'npm run build',
    },
    engines: { node: '>=20.19' },
    peerDependencies: { '@rlhfjs/core': `^${v.CORE_VERSION}` },
    devDependencies: { '@rlhfjs/core': v.CORE_VERSION, ...TOOL_VERSIONS },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

export const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "node16",
    "moduleResolution": "node16",
    "lib": ["ES2022"],
    "strict": true,
    "declaration": true,
    "sourceMap": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "resolveJsonModule": true,
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
`;

export const JEST_CONFIG = `/**
 * Tests run on the TypeScript sources with ts-jest, type-checked against tsconfig.json; the
 * conformance test loads the built package (npm test builds first). TS151002 is ts-jest's notice
 * that module node16 is transpiled file by file, which is what this package wants.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  testTimeout: 60000,
};
`;

export const GITIGNORE = `node_modules/
dist/
runs/
*.tgz
`;

export const CONFORMANCE_TEST = `import { testPluginPackage } from '@rlhfjs/core/testing';

// The rlhfjs plugin conformance kit, on the built package (what a recipe loads): schema,
// defaults, factory and contract of every plugin, and the package.json conventions.
testPluginPackage(require('..').default ?? require('..'), { packageJson: require('../package.json') });
`;

export function readme(v: TemplateValues, what: string, recipeNote: string): string {
  return `# ${v.PACKAGE}

An rlhfjs plugin package: ${what}

| kind | name | plugin API |
|---|---|---|
| ${v.KIND} | ${v.PLUGIN} | ${v.API_VERSION} |

## Use it

\`\`\`sh
npm install ${v.PACKAGE}
\`\`\`

Name the package in a recipe's \`plugins\` list (resolved from the recipe's folder) and the plugin in its slot;
\`recipes/example.yaml\` is a complete example. ${recipeNote}

\`\`\`sh
npx rlhf plugins --kind ${v.KIND}     # in a project that installed it: ${v.PLUGIN} with its options
npx rlhf validate recipe.yaml
\`\`\`

## Options

\`npx rlhf plugins --kind ${v.KIND}\` prints them with their defaults (in this folder: \`npx rlhf plugins --plugin .\`);
\`npx rlhf schema --out recipe.schema.json\` writes a schema that gives editors autocompletion for them.

## Develop

\`\`\`sh
npm install
npm test          # builds, then runs the conformance kit and the behaviour tests
npm pack          # the tarball that npm publish would upload
\`\`\`

\`@rlhfjs/core\` is a peer dependency: a project holds one copy of core, shared by every plugin package.
The package was scaffolded by \`rlhf init plugin\` from @rlhfjs/core ${v.CORE_VERSION}.
`;
}
