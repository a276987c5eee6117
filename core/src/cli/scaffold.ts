import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '../diagnostics';
import { CORE_API_VERSION } from '../plugin/api-version';
import { PLUGIN_KINDS } from '../plugin/kinds';

/**
 * `rlhf init plugin`: copies a template folder into a new package, filling placeholders.
 *
 * The templates are real files in core/templates/plugin/ (see its README.md): `common/` holds the
 * files every package gets, `<kind>/` the plugin, its behaviour test and an example recipe, plus a
 * `template.json` (description and the README's recipe note) that is read, not copied. Placeholders
 * are `__NAME__` tokens, written where an identifier or a string stands so the templates type-check
 * as they are: {@link TemplateValues} lists them all; a file name that starts with `_` is written
 * with a `.` instead (`_gitignore`: npm leaves `.gitignore` files out of published tarballs).
 */

/**
 * core/, found from this file: src/cli/ when running sources (jest), dist/cli/ when running the
 * build (the CLI); both lie two levels below it.
 */
const CORE_ROOT = path.resolve(__dirname, '..', '..');

/** The template folders; shipped with @rlhfjs/core (package.json `files`), outside what tsc compiles. */
export const TEMPLATE_ROOT = path.join(CORE_ROOT, 'templates', 'plugin');

/** The kinds `rlhf init plugin --kind` can scaffold: one folder each in {@link TEMPLATE_ROOT}. */
export const SCAFFOLD_KINDS: readonly string[] = ['reward', 'scorer', 'logger', 'kl-controller', 'environment', 'job', 'algorithm'];

/** The placeholders of the templates, each written `__NAME__` in a file. */
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
  /** What the package holds, lowercase first (template.json `description`). */
  DESCRIPTION: string;
  /** What the README says about running the example recipe (template.json `recipeNote`). */
  RECIPE_NOTE: string;
}

/** A kind folder's template.json. */
interface KindMeta {
  description: string;
  recipeNote: string;
}

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
const TOKEN_RE = /__([A-Z][A-Z_]*[A-Z])__/g;

function corePackage(): { version: string } {
  return JSON.parse(fs.readFileSync(path.join(CORE_ROOT, 'package.json'), 'utf8')) as { version: string };
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

/** Replace every `__NAME__` token; a token that is not a {@link TemplateValues} key is a template bug. */
export function fill(text: string, v: TemplateValues, file: string): string {
  return text.replace(TOKEN_RE, (token, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(v, key)) {
      throw new DiagnosticError({
        code: 'init/template',
        file,
        message: `the template holds an unknown placeholder ${token}`,
        fix: `use one of ${Object.keys(v).map((k) => `__${k}__`).join(', ')} (core/src/cli/scaffold.ts, TemplateValues)`,
      });
    }
    return v[key as keyof TemplateValues];
  });
}

/** Every file below `dir`, as paths relative to it with `/` separators, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel + '/'));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

function templateFolder(name: string): string {
  const dir = path.join(TEMPLATE_ROOT, name);
  if (!fs.existsSync(dir)) {
    throw new DiagnosticError({
      code: 'init/template',
      file: dir,
      message: `the template folder ${dir} is missing from this installation of @rlhfjs/core`,
      fix: 'reinstall @rlhfjs/core (its package ships templates/plugin/)',
    });
  }
  return dir;
}

/** The files of a new plugin package, by relative path (sorted). */
export function scaffoldFiles(kind: string, names: { packageName: string; pluginName: string }, coreVersion = corePackage().version): Record<string, string> {
  if (!SCAFFOLD_KINDS.includes(kind)) {
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
  const common = templateFolder('common');
  const own = templateFolder(kind);
  const meta = JSON.parse(fs.readFileSync(path.join(own, 'template.json'), 'utf8')) as KindMeta;
  const v: TemplateValues = {
    PACKAGE: names.packageName,
    PLUGIN: names.pluginName,
    EXPORT: exportName(names.pluginName, kind),
    KIND: kind,
    CORE_VERSION: coreVersion,
    API_VERSION: CORE_API_VERSION,
    DESCRIPTION: meta.description,
    RECIPE_NOTE: meta.recipeNote,
  };
  const sources: Array<[string, string]> = [
    ...listFiles(common).map((rel): [string, string] => [rel, path.join(common, rel)]),
    ...listFiles(own).filter((rel) => rel !== 'template.json').map((rel): [string, string] => [rel, path.join(own, rel)]),
  ];
  const files: Record<string, string> = {};
  const outputs = sources.map(([rel, from]): [string, string] => [rel.replace(/(^|\/)_([^/]+)$/, '$1.$2'), from]);
  for (const [to, from] of outputs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (to in files) throw new DiagnosticError({ code: 'init/template', file: from, message: `two template files would both write ${to}`, fix: 'keep each file either in common/ or in the kind folder' });
    files[to] = fill(fs.readFileSync(from, 'utf8'), v, from);
  }
  return files;
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
