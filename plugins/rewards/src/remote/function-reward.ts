import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticError, definePlugin, type RewardContext, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';
import { functionRewardOptionsSchema } from './function.options';

const PLUGIN = 'reward/function';

export type RewardFunction = (samples: RewardSample[], ctx: RewardContext) => unknown;

/** `import()` that TypeScript keeps as a native dynamic import in CommonJS output. */
const nativeImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;

/** Load a user's module: .js/.cjs with require (falling back to import for ES modules), .mjs with import, .ts when a loader is registered. */
export async function loadModule(file: string, pointer: string): Promise<Record<string, unknown>> {
  const where = { plugin: PLUGIN, pointer: `${pointer}/options/module`, file };
  if (!fs.existsSync(file)) {
    throw new DiagnosticError({ ...where, code: 'function/missing-module', message: `reward module ${file} does not exist`, fix: 'the path is relative to the recipe file; check the spelling' });
  }
  const ext = path.extname(file);
  if (!['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'].includes(ext)) {
    throw new DiagnosticError({ ...where, code: 'function/bad-extension', message: `reward module ${file} has extension "${ext}"`, fix: 'write the reward function in a .js, .cjs or .mjs file (or .ts with a TypeScript loader)' });
  }
  if (ext.endsWith('ts') && !(ext in require.extensions)) {
    throw new DiagnosticError({
      ...where,
      code: 'function/typescript-loader',
      message: `reward module ${file} is TypeScript, and no TypeScript loader is registered in this process`,
      fix: 'compile it to .js (tsc), or run rlhf with a loader, e.g. `node --require ts-node/register`',
    });
  }
  try {
    if (ext === '.mjs' || ext === '.mts') return await nativeImport(pathToFileURL(file).href);
    try {
      return require(file) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') return await nativeImport(pathToFileURL(file).href);
      throw err;
    }
  } catch (err) {
    if (DiagnosticError.is(err)) throw err;
    throw new DiagnosticError({ ...where, code: 'function/load-failed', message: `loading reward module ${file} failed: ${(err as Error).message}`, fix: 'run the module with node on its own to see the error' }, { cause: err });
  }
}

/** A reward computed by a function in the user's own module. */
export class FunctionReward implements RewardSource {
  constructor(
    private readonly fn: RewardFunction,
    private readonly where: { module: string; exportName: string; pointer: string },
  ) {}

  private label(): string {
    return `export "${this.where.exportName}" of ${this.where.module}`;
  }

  async score(samples: RewardSample[], ctx: RewardContext): Promise<RewardResult> {
    let out: unknown;
    try {
      out = await this.fn(samples, ctx);
    } catch (err) {
      throw await this.thrown(err, samples, ctx);
    }
    if (out instanceof Float32Array || out instanceof Float64Array) out = Array.from(out);
    if (!Array.isArray(out)) {
      throw this.bad(`${this.label()} returned ${describe(out)}, expected an array of ${samples.length} numbers (one per sample)`);
    }
    if (out.length !== samples.length) {
      throw this.bad(`${this.label()} returned ${out.length} scores for ${samples.length} samples`);
    }
    out.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw this.bad(`${this.label()} returned ${describe(v)} for sample ${i} (prompt ${JSON.stringify(clip(samples[i].prompt))}), expected a finite number`);
    });
    return { scores: out as number[] };
  }

  /** Find the sample that makes the function throw, by calling it on each sample alone. */
  private async thrown(err: unknown, samples: RewardSample[], ctx: RewardContext): Promise<DiagnosticError> {
    let index: number | undefined;
    let reason = err;
    if (samples.length > 1) {
      for (let i = 0; i < samples.length; i++) {
        try {
          await this.fn([samples[i]], ctx);
        } catch (e) {
          index = i;
          reason = e;
          break;
        }
      }
    } else if (samples.length === 1) index = 0;
    const msg = (reason as Error)?.message ?? String(reason);
    const at =
      index === undefined
        ? `on a batch of ${samples.length} samples (no single sample makes it throw alone)`
        : `on sample ${index} (prompt ${JSON.stringify(clip(samples[index].prompt))}, completion ${JSON.stringify(clip(samples[index].completion))})`;
    return new DiagnosticError(
      {
        code: 'function/threw',
        message: `${this.label()} threw ${at}: ${msg}`,
        fix: 'fix the function, or catch the error inside it and return a score for that sample',
        plugin: PLUGIN,
        pointer: `${this.where.pointer}/options/module`,
        file: this.where.module,
      },
      { exitCode: 1, cause: reason },
    );
  }

  private bad(message: string): DiagnosticError {
    return new DiagnosticError(
      { code: 'function/bad-return', message, fix: 'return an array with one finite number per sample, in the order of the samples (or a promise of one)', plugin: PLUGIN, pointer: `${this.where.pointer}/options/module`, file: this.where.module },
      { exitCode: 1 },
    );
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array`;
  if (typeof v === 'object') return `an object with keys ${JSON.stringify(Object.keys(v as object).slice(0, 5))}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(clip(v, 30))}`;
  return String(v);
}

function clip(s: string, n = 40): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export const functionReward = definePlugin({
  kind: 'reward',
  name: 'function',
  description: 'Reward from a function in your own module: (samples, ctx) => numbers (or a promise of them), one per sample.',
  options: functionRewardOptionsSchema,
  create: async ({ options, resolvePath, pointer }) => {
    const file = resolvePath(options.module);
    const mod = await loadModule(file, pointer);
    const name = options.export;
    let fn: unknown = mod[name];
    if (name === 'default' && typeof mod === 'function') fn = mod;
    if (name === 'default' && typeof fn === 'object' && fn !== null && typeof (fn as Record<string, unknown>).default === 'function') fn = (fn as Record<string, unknown>).default;
    if (typeof fn !== 'function') {
      const available = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new DiagnosticError({
        code: 'function/missing-export',
        message: `${file} has no exported function "${name}"${available.length ? `; its functions: ${available.join(', ')}` : ''}`,
        fix: available.length ? `set "export" to one of ${available.map((a) => `"${a}"`).join(', ')}` : 'export the function (module.exports = fn, export default fn, or a named export)',
        plugin: PLUGIN,
        pointer: `${pointer}/options/export`,
        file,
      });
    }
    return new FunctionReward(fn as RewardFunction, { module: file, exportName: name, pointer });
  },
});
