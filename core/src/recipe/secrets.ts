import { DiagnosticError, type Diagnostic } from '../diagnostics';
import { SLOTS, type PluginKind } from '../plugin/kinds';
import type { PluginRegistry } from '../plugin/registry';
import { parseOverride } from './overrides';
import { toPointer } from './source';

/** What a secret value is replaced with in the files of a run folder. */
export const REDACTED = '<redacted>';

/** A place in a resolved recipe that holds a secret: its JSON pointer and the plugin whose option it is. */
export interface SecretPlace {
  pointer: string;
  plugin: string;
}

type Schema = Record<string, unknown>;

/**
 * Every place in the recipe whose plugin options schema marks the value `writeOnly: true` (the JSON
 * Schema annotation for a value that is sent but never shown back, e.g. a credential). Only values
 * that are present count: an absent option or an empty map holds no secret.
 */
export function secretPlaces(recipe: Record<string, unknown>, registry: PluginRegistry): SecretPlace[] {
  const out: SecretPlace[] = [];
  const visit = (kind: PluginKind, ref: unknown, base: (string | number)[]) => {
    const r = ref as { use?: unknown; options?: unknown } | null;
    if (!r || typeof r !== 'object' || typeof r.use !== 'string') return;
    const found = registry.find(kind, r.use);
    if (!found) return;
    walk(found.def.options as Schema, r.options, [...base, 'options'], (segs) => out.push({ pointer: toPointer(segs), plugin: `${kind}/${r.use as string}` }));
  };
  visit('job', recipe.job, ['job']);
  for (const { slot, kind } of SLOTS) {
    const v = recipe[slot];
    if (Array.isArray(v)) v.forEach((ref, i) => visit(kind, ref, [slot, i]));
    else visit(kind, v, [slot]);
  }
  return out;
}

function walk(schema: Schema | boolean | undefined, value: unknown, segs: (string | number)[], hit: (segs: (string | number)[]) => void): void {
  if (!schema || typeof schema !== 'object' || value === undefined) return;
  if (schema.writeOnly === true) {
    hit(segs);
    return;
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[key];
    // a secret marked in any branch counts: redacting too much is the safe side
    if (Array.isArray(list)) for (const sub of list) walk(sub as Schema, value, segs, hit);
  }
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined;
    value.forEach((v, i) => walk(items, v, [...segs, i], hit));
    return;
  }
  if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      walk(k in props ? props[k] : (schema.additionalProperties as Schema | undefined), v, [...segs, k], hit);
    }
  }
}

/** A deep copy of `recipe` with the value at every secret place replaced by {@link REDACTED}. */
export function redactRecipe<T>(recipe: T, places: readonly SecretPlace[]): T {
  const copy = structuredClone(recipe);
  for (const { pointer } of places) {
    const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cur = copy as Record<string, unknown>;
    for (const s of segs.slice(0, -1)) cur = cur[s] as Record<string, unknown>;
    cur[segs[segs.length - 1]] = REDACTED;
  }
  return copy;
}

/**
 * The command line with the value of every `--set path=value` that writes a secret place (or a
 * map or list that holds one) replaced by {@link REDACTED}; `values` are the secrets themselves,
 * replaced wherever else they appear in an argument.
 */
export function redactCommand(command: readonly string[], places: readonly SecretPlace[], values: readonly string[] = []): string[] {
  if (places.length === 0) return [...command];
  const touches = (text: string): boolean => {
    let pointer: string;
    try {
      pointer = toPointer(parseOverride(text).path);
    } catch {
      return false;
    }
    return places.some((p) => p.pointer === pointer || p.pointer.startsWith(pointer + '/') || pointer.startsWith(p.pointer + '/'));
  };
  const redactSet = (text: string) => `${text.slice(0, text.indexOf('='))}=${REDACTED}`;
  const secrets = values.filter((v) => v.length > 0 && v !== REDACTED);
  let inSet = false; // `--set a=1 b=2`: one flag may take several values
  return command.map((arg) => {
    if (arg === '--set' || arg === '-s') {
      inSet = true;
      return arg;
    }
    if (arg.startsWith('-')) inSet = false;
    let out = arg;
    if (inSet && touches(arg)) out = redactSet(arg);
    else if (arg.startsWith('--set=') && touches(arg.slice('--set='.length))) out = `--set=${redactSet(arg.slice('--set='.length))}`;
    for (const v of secrets) out = out.split(v).join(REDACTED);
    return out;
  });
}

/** The string values at the secret places of a recipe (to find them elsewhere, e.g. in a command line). */
export function secretValues(recipe: unknown, places: readonly SecretPlace[]): string[] {
  const out: string[] = [];
  for (const { pointer } of places) {
    let cur: unknown = recipe;
    for (const s of pointer.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'))) cur = (cur as Record<string, unknown> | undefined)?.[s];
    if (typeof cur === 'string') out.push(cur);
  }
  return out;
}

/**
 * A stored recipe (a run folder's recipe.resolved.json) holds {@link REDACTED} where a secret was
 * given directly; such a run cannot be reproduced or resumed until the value is given again.
 */
export function assertNoRedacted(recipe: Record<string, unknown>, registry: PluginRegistry, file: string): void {
  const problems: Diagnostic[] = [];
  for (const place of secretPlaces(recipe, registry)) {
    const segs = place.pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cur: unknown = recipe;
    for (const s of segs) cur = (cur as Record<string, unknown>)[s];
    if (cur !== REDACTED) continue;
    const dotted = segs.join('.');
    problems.push({
      code: 'run/secret-redacted',
      file,
      pointer: place.pointer,
      plugin: place.plugin,
      message: `the stored recipe holds ${REDACTED} at ${place.pointer} (option ${segs.slice(segs.indexOf('options') + 1).join('.')} of ${place.plugin}): the secret given there was not written to the run folder`,
      fix: `give the value again: with --resume, add --set '${dotted}=...'; or rerun from a recipe that reads it from an environment variable (e.g. the http reward's headersFromEnv)`,
    });
  }
  if (problems.length) throw new DiagnosticError(problems, { exitCode: 1 });
}
