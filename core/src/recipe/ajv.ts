import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { didYouMean, type Diagnostic } from '../diagnostics';
import { pointerSegments } from './source';

/** One Ajv instance for the envelope and plugin options: 2020-12, all errors, defaults filled in. */
export function createAjv(strict = true): Ajv2020 {
  return new Ajv2020({ allErrors: true, useDefaults: true, strict, strictTypes: false, allowUnionTypes: true, verbose: true });
}

const cache = new WeakMap<object, ValidateFunction>();
let shared: Ajv2020 | undefined;

/** Compile once per schema object (plugins are data, their schema objects live as long as the process). */
export function compileCached(schema: object): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    shared ??= createAjv(true);
    v = shared.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

/**
 * Turn Ajv errors into diagnostics, keeping only the deepest, most specific ones (the
 * `anyOf` / `if` wrappers add nothing a user can act on) and appending the field's description.
 */
export function ajvToDiagnostics(errors: readonly ErrorObject[], opts: { prefix: string; plugin?: string }): Diagnostic[] {
  const specific = errors.filter((e) => !['anyOf', 'oneOf', 'if', 'allOf'].includes(e.keyword));
  const chosen = specific.length ? specific : errors;
  // keep the deepest error per instance path (an enum and a type error on the same node: both)
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of chosen) {
    const d = one(e, opts);
    const key = `${d.pointer}|${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

function one(e: ErrorObject, opts: { prefix: string; plugin?: string }): Diagnostic {
  let pointer = opts.prefix + e.instancePath;
  const field = pointerSegments(e.instancePath).pop();
  const desc = (e.parentSchema as { description?: string } | undefined)?.description;
  let message: string;
  let fix: string | undefined;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      pointer += '/' + key;
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const hint = didYouMean(key, allowed);
      message = `unknown key "${key}".${hint ? ' ' + hint : ''}`;
      fix = allowed.length ? `allowed keys here: ${allowed.join(', ')}` : 'this object takes no keys';
      return { code: 'recipe/unknown-key', pointer, plugin: opts.plugin, message, fix };
    }
    case 'required': {
      const key = String(p.missingProperty);
      const propSchema = ((e.parentSchema as { properties?: Record<string, { description?: string }> })?.properties ?? {})[key];
      message = `missing required key "${key}"`;
      fix = propSchema?.description ? `add ${key}: ${propSchema.description}` : `add ${key}`;
      return { code: 'recipe/missing-key', pointer, plugin: opts.plugin, message, fix };
    }
    case 'type':
      message = `must be ${String(p.type).replace(/,/g, ' or ')}, got ${describe(e.data)}`;
      break;
    case 'enum':
      message = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describe(e.data)}`;
      {
        const hint = typeof e.data === 'string' ? didYouMean(e.data, (p.allowedValues as unknown[]).map(String)) : '';
        if (hint) message += `. ${hint}`;
      }
      break;
    case 'const':
      message = `must be ${JSON.stringify(p.allowedValue)}, got ${describe(e.data)}`;
      break;
    default:
      message = `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? `, got ${describe(e.data)}` : ''}`;
  }
  fix = desc ? `${field ? field + ': ' : ''}${desc}` : undefined;
  return { code: `recipe/${e.keyword}`, pointer, plugin: opts.plugin, message, fix };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}
