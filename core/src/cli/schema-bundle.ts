import { recipeSchema } from '../recipe/envelope';
import type { PluginRegistry } from '../plugin/registry';
import { SLOTS, type PluginKind } from '../plugin/kinds';

/** Move a plugin schema's local `$defs` into the bundle under a unique prefix and rewrite its refs. */
function embed(schema: unknown, prefix: string, defs: Record<string, unknown>): unknown {
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) {
        if (k === '$ref' && typeof val === 'string' && val.startsWith('#/$defs/')) out[k] = `#/$defs/${prefix}.${val.slice(8)}`;
        else if (k === '$defs' || k === '$schema' || k === '$id') continue;
        else out[k] = rewrite(val);
      }
      return out;
    }
    return v;
  };
  const s = schema as { $defs?: Record<string, unknown> };
  for (const [k, v] of Object.entries(s.$defs ?? {})) defs[`${prefix}.${k}`] = rewrite(v);
  return rewrite(schema);
}

/**
 * One schema for editors: the envelope, with each slot discriminated on `use` so that the
 * options of the named plugin autocomplete. A recipe opts in with
 * `# yaml-language-server: $schema=<path to recipe.bundle.schema.json>`.
 */
export function bundleSchema(registry: PluginRegistry): Record<string, unknown> {
  const bundle = structuredClone(recipeSchema) as Record<string, any>;
  bundle.$id = 'https://rlhfjs.github.io/schemas/recipe.bundle.schema.json';
  bundle.title = 'rlhfjs recipe (with the options of every known plugin)';
  const defs = bundle.$defs as Record<string, unknown>;
  const variants = (kind: PluginKind, reward: boolean): unknown[] =>
    registry.names(kind).map((name) => {
      const p = registry.find(kind, name)!;
      const props: Record<string, unknown> = {
        use: { const: name, description: `${p.def.description} (from ${p.packageName})` },
        options: embed(p.def.options, `${kind}.${name}`, defs),
      };
      if (reward) Object.assign(props, { name: defs.rewardSlot && (defs.rewardSlot as any).properties.name, weight: (defs.rewardSlot as any).properties.weight });
      return { type: 'object', additionalProperties: false, required: ['use'], properties: props, description: p.def.description };
    });
  for (const { slot, kind, list } of SLOTS) {
    const vs = variants(kind, kind === 'reward');
    if (!vs.length) continue;
    const names = registry.names(kind);
    const one = { anyOf: vs, description: bundle.properties[slot].description, properties: { use: { enum: names } } };
    if (list) bundle.properties[slot].items = one;
    else bundle.properties[slot] = one;
  }
  // a job is named by its name alone, or as { use, options } like every other slot
  const jobs = variants('job', false);
  if (jobs.length) {
    bundle.properties.job = {
      description: bundle.properties.job.description,
      default: bundle.properties.job.default,
      anyOf: [{ enum: registry.names('job') }, ...jobs],
    };
  }
  return bundle;
}
