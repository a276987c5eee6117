import { compileCached } from '@rlhfjs/core';
import { consoleLogger } from './console';
import { consoleLoggerOptionsSchema, type ConsoleLoggerOptions } from './console.options';
import { csvLoggerOptionsSchema, type CsvLoggerOptions } from './csv.options';
import { csvLogger } from './csv';

/** Validate like the recipe loader does: defaults filled in, errors reported. */
function resolve<T>(schema: object, value: Record<string, unknown>): T {
  const copy = structuredClone(value);
  const validate = compileCached(schema);
  if (!validate(copy)) throw new Error(JSON.stringify(validate.errors));
  return copy as T;
}

describe('logger options come from one schema each', () => {
  it('the plugins declare the schemas of their options files', () => {
    expect(consoleLogger.options).toBe(consoleLoggerOptionsSchema);
    expect(csvLogger.options).toBe(csvLoggerOptionsSchema);
  });

  it('validation fills the defaults that the derived types declare present', () => {
    const c = resolve<ConsoleLoggerOptions>(consoleLoggerOptionsSchema, {});
    expect(c).toEqual({ every: 1, keys: ['score/mean', 'kl/mean', 'kl/beta', 'loss/policy', 'loss/value'], stream: 'stderr' });
    const f = resolve<CsvLoggerOptions>(csvLoggerOptionsSchema, {});
    expect(f).toEqual({ file: 'metrics.csv' });
  });

  it('rejects an unknown option and a step interval below 1', () => {
    expect(() => resolve(consoleLoggerOptionsSchema, { evry: 2 })).toThrow(/additionalProperties/);
    expect(() => resolve(consoleLoggerOptionsSchema, { every: 0 })).toThrow(/minimum/);
  });

  it('the console logger prints the chosen keys every N steps', async () => {
    const options = resolve<ConsoleLoggerOptions>(consoleLoggerOptionsSchema, { every: 2, keys: ['b', 'a', 'missing'], stream: 'stdout' });
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const logger = await consoleLogger.create({ options, container: undefined as never, resolvePath: (p) => p, pointer: '/loggers/0' });
      logger.log(0, { a: 1, b: 0.5 });
      logger.log(1, { a: 2, b: 0.00001 });
    } finally {
      spy.mockRestore();
    }
    // step 1 is skipped (every 2); at step index 1 the line shows b then a, b in exponent form (|b| < 1e-3)
    expect(lines).toEqual(['[step 2] b=1.000e-5 a=2\n']);
  });
});
