import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '@rlhfjs/core';
import { buildPlugin, type BuiltPlugin } from '@rlhfjs/core/testing';
import { csvLogger } from './csv';

describe('logger/csv', () => {
  let built: BuiltPlugin<Logger> | undefined;
  afterEach(() => {
    built?.dispose();
    built = undefined;
  });
  const read = (b: BuiltPlugin<Logger>, name = 'metrics.csv'): string => fs.readFileSync(path.join(b.runDir, name), 'utf8');

  it('writes a header of the first step’s metrics (sorted) and one row per step; later keys are left out, missing ones empty', async () => {
    built = await buildPlugin(csvLogger);
    await built.instance.start?.({ runDir: built.runDir, totalSteps: 3, startStep: 0 });
    await built.instance.log(0, { 'score/mean': 0.5, 'kl/mean': 0.01 });
    await built.instance.log(1, { 'score/mean': 0.75, extra: 3 });
    await built.instance.log(2, { 'kl/mean': Number.NaN, 'score/mean': -1e-7 });
    await built.instance.close?.();
    expect(read(built)).toBe('step,kl/mean,score/mean\n0,0.01,0.5\n1,,0.75\n2,NaN,-1e-7\n');
  });

  it('quotes cells that hold a comma, a quote or a newline', async () => {
    built = await buildPlugin(csvLogger, { file: 'table.csv' });
    await built.instance.log(0, { 'a,b': 1, 'say "hi"': 2, plain: 3 });
    expect(read(built, 'table.csv')).toBe('step,"a,b",plain,"say ""hi"""\n0,1,3,2\n');
  });

  it('on resume keeps the header and the rows before the resumed step, then appends in the same columns', async () => {
    built = await buildPlugin(csvLogger);
    for (let s = 0; s < 5; s++) await built.instance.log(s, { b: s * 10, a: s });
    // a new process: a fresh logger over the same run directory, resumed at step 3
    const resumed = await csvLogger.create({ options: { file: 'metrics.csv' }, container: built.container, pointer: '/loggers/0', resolvePath: (p) => p });
    await resumed.start?.({ runDir: built.runDir, totalSteps: 5, startStep: 3 });
    expect(read(built)).toBe('step,a,b\n0,0,0\n1,1,10\n2,2,20\n');
    await resumed.log(3, { a: 33, b: 330, c: 1 });
    await resumed.log(4, { b: 440 });
    expect(read(built)).toBe('step,a,b\n0,0,0\n1,1,10\n2,2,20\n3,33,330\n4,,440\n');
  });

  it('resumed with no file yet, starts one at the first logged step', async () => {
    built = await buildPlugin(csvLogger);
    await built.instance.start?.({ runDir: built.runDir, totalSteps: 5, startStep: 2 });
    expect(fs.existsSync(path.join(built.runDir, 'metrics.csv'))).toBe(false);
    await built.instance.log(2, { a: 1 });
    expect(read(built)).toBe('step,a\n2,1\n');
  });
});
