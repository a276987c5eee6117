import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '../../diagnostics';
import { CORE_API_VERSION } from '../../plugin/api-version';
import { PLUGIN_KINDS } from '../../plugin/kinds';
import { CONFORMANCE_TEST, GITIGNORE, JEST_CONFIG, TSCONFIG, fill, packageJson, readme, type TemplateValues } from './common';
import { KIND_TEMPLATES } from './kinds';

export { KIND_TEMPLATES };
export { TOOL_VERSIONS } from './common';

/** The kinds `rlhf init plugin --kind` can scaffold. */
export const SCAFFOLD_KINDS = Object.keys(KIND_TEMPLATES);

export interface ScaffoldRequest {
  /** `polite`, `rlhf-plugin-polite` or `@acme/polite`. */
  name: string;
  kind: string;
  /** Parent folder; the package goes into <dir>/rlhf-plugin-<name>. */
  dir: string;
}

export interface ScaffoldResult {
  dir: string;
  packageName: string;
  pluginName: string;
  files: string[];
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

function corePackage(): { version: string } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
}

/** Split what the user typed into the npm package name and the plugin's name. */
export function scaffoldNames(input: string): { packageName: string; pluginName: string; folder: string } {
  const m = /^(@[a-z0-9][a-z0-9-._~]*\/)?(?:rlhf-plugin-)?(.+)$/.exec(input.trim());
  const scope = m?.[1] ?? '';
  const plugin = m?.[2] ?? '';
  if (!NAME_RE.test(plugin)) {
    throw new DiagnosticError({
      code: 'init/bad-name',
      message: `"${input}" is not a usable plugin name: use lowercase letters, digits and dashes, starting with a letter or digit`,
      fix: 'e.g. rlhf init plugin polite-reward (the package becomes rlhf-plugin-polite-reward), or @scope/polite-reward',
    });
  }
  return { packageName: `${scope}rlhf-plugin-${plugin}`, pluginName: plugin, folder: `rlhf-plugin-${plugin}` };
}

function exportName(plugin: string, kind: string): string {
  const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const base = camel(plugin);
  const suffix = camel(kind).replace(/^./, (c) => c.toUpperCase());
  return (/^[0-9]/.test(base) ? 'plugin' + base : base) + suffix;
}

/** The files of a new plugin package, by relative path. */
export function scaffoldFiles(kind: string, names: { packageName: string; pluginName: string }, coreVersion = corePackage().version): Record<string, string> {
  const t = KIND_TEMPLATES[kind];
  if (!t) {
    const known = PLUGIN_KINDS.includes(kind as never);
    throw new DiagnosticError({
      code: 'init/kind',
      message: known
        ? `rlhf init does not scaffold ${kind} plugins: an ${kind} wraps a policy model, which is more than a starting template can hold honestly`
        : `unknown plugin kind "${kind}"`,
      fix: known
        ? `scaffold a reward (rlhf init plugin <name> --kind reward) for the package layout, then implement the ${kind} interface from docs/plugins.md; the built-in @rlhfjs/plugin-${kind === 'agent' ? 'lm' : 'algorithms'} is a complete example`
        : `--kind is one of ${SCAFFOLD_KINDS.join(', ')}`,
    });
  }
  const v: TemplateValues = { PACKAGE: names.packageName, PLUGIN: names.pluginName, EXPORT: exportName(names.pluginName, kind), KIND: kind, CORE_VERSION: coreVersion, API_VERSION: CORE_API_VERSION };
  return {
    'package.json': packageJson(v, `rlhfjs plugin: ${t.description.charAt(0).toLowerCase()}${t.description.slice(1)}`),
    'tsconfig.json': TSCONFIG,
    'jest.config.js': JEST_CONFIG,
    '.gitignore': GITIGNORE,
    'README.md': readme(v, `${t.description.charAt(0).toLowerCase()}${t.description.slice(1)}.`, fill(t.recipeNote, v)),
    'src/index.ts': fill(t.source, v),
    'src/behaviour.test.ts': fill(t.test, v),
    'src/conformance.test.ts': CONFORMANCE_TEST,
    'recipes/example.yaml': fill(t.recipe, v),
  };
}

/** Write a new plugin package into <dir>/rlhf-plugin-<name>; refuses to touch a folder that has files. */
export function scaffoldPlugin(req: ScaffoldRequest): ScaffoldResult {
  const names = scaffoldNames(req.name);
  const files = scaffoldFiles(req.kind, names);
  const dir = path.resolve(req.dir, names.folder);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new DiagnosticError({ code: 'init/exists', file: dir, message: `${dir} already exists and is not empty; nothing was written`, fix: 'choose another name or --dir, or remove the folder' });
  }
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return { dir, packageName: names.packageName, pluginName: names.pluginName, files: Object.keys(files) };
}
