import { parse as parseYaml } from 'yaml';
import { DiagnosticError, didYouMean, type Diagnostic } from '../diagnostics';
import { toPointer } from './source';

export interface Override {
  /** The flag as the user typed it, for messages. */
  flag: string;
  path: (string | number)[];
  value: unknown;
}

/** Parse `a.b[0].c=value` (value read as a YAML scalar or flow collection: 1e-5, true, [a, b], {x: 1}). */
export function parseOverride(text: string): Override {
  const flag = `--set ${text}`;
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new DiagnosticError({ code: 'cli/bad-set', message: `${flag}: expected path=value`, fix: 'write e.g. --set algorithm.options.learningRate=1e-5' });
  }
  const rawPath = text.slice(0, eq).trim();
  const rawValue = text.slice(eq + 1);
  const path: (string | number)[] = [];
  for (const part of rawPath.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && !m[2])) {
      throw new DiagnosticError({ code: 'cli/bad-set', message: `${flag}: cannot read the path "${rawPath}"`, fix: 'separate keys with dots and index lists with [n] or .n, e.g. rewards[0].weight=2' });
    }
    if (m[1] !== '') path.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  let value: unknown;
  try {
    value = rawValue === '' ? '' : parseYaml(rawValue);
  } catch (err) {
    throw new DiagnosticError({ code: 'cli/bad-set', message: `${flag}: the value is not valid YAML (${(err as Error).message.split('\n')[0]})`, fix: 'quote strings that contain special characters' });
  }
  return { flag, path, value };
}

/**
 * Apply overrides to the parsed recipe. The parent of the last key must exist (a slot's
 * `options` map is created when missing); whether the last key is allowed is then checked by
 * the same validation as the file, so `--set` errors read like file errors.
 */
export function applyOverrides(recipe: Record<string, unknown>, overrides: readonly Override[]): { pointers: Map<string, string>; problems: Diagnostic[] } {
  const pointers = new Map<string, string>();
  const problems: Diagnostic[] = [];
  for (const o of overrides) {
    let cur: unknown = recipe;
    let ok = true;
    for (let i = 0; i < o.path.length - 1; i++) {
      const key = o.path[i];
      const next = o.path[i + 1];
      const container = cur as Record<string | number, unknown>;
      let child = container?.[key];
      if (child === undefined && key === 'options' && typeof container === 'object' && container !== null && 'use' in container) {
        child = {};
        container[key] = child;
      }
      if (child === undefined || child === null || typeof child !== 'object') {
        const where = toPointer(o.path.slice(0, i + 1));
        const siblings = cur && typeof cur === 'object' ? Object.keys(cur as object) : [];
        const hint = typeof key === 'string' ? didYouMean(key, siblings) : '';
        problems.push({
          code: 'cli/set-path-missing',
          pointer: where,
          message: `${o.flag}: the recipe has nothing at ${where}${typeof next === 'number' ? ' (a list was expected)' : ''}.${hint ? ' ' + hint : ''}`,
          fix: siblings.length ? `keys that exist there: ${siblings.join(', ')}` : 'set a path whose parent exists in the recipe',
        });
        ok = false;
        break;
      }
      cur = child;
    }
    if (!ok) continue;
    const last = o.path[o.path.length - 1];
    if (Array.isArray(cur) && (typeof last !== 'number' || last > cur.length)) {
      problems.push({ code: 'cli/set-path-missing', pointer: toPointer(o.path), message: `${o.flag}: index ${String(last)} is out of range (the list has ${cur.length} items)`, fix: `use an index from 0 to ${cur.length}` });
      continue;
    }
    (cur as Record<string | number, unknown>)[last] = o.value;
    pointers.set(toPointer(o.path), o.flag);
  }
  return { pointers, problems };
}
