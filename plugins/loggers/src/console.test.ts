import type { Logger } from '@rlhfjs/core';
import { buildPlugin, type BuiltPlugin } from '@rlhfjs/core/testing';
import { consoleLogger } from './console';

describe('logger/console', () => {
  let built: BuiltPlugin<Logger> | undefined;
  let stderr: jest.SpiedFunction<typeof process.stderr.write>;
  let stdout: jest.SpiedFunction<typeof process.stdout.write>;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    stderr.mockRestore();
    stdout.mockRestore();
    built?.dispose();
    built = undefined;
  });
  const lines = (spy: jest.SpiedFunction<typeof process.stderr.write>): string[] => spy.mock.calls.map((c) => String(c[0]));

  it('prints the default keys in their order, skips missing and other metrics, numbers formatted by size', async () => {
    built = await buildPlugin(consoleLogger);
    await built.instance.log(0, { other: 9, 'loss/policy': -0.123456, 'kl/beta': 2, 'kl/mean': 0.00012346, 'score/mean': 0.5 });
    // integers as they are; |v| < 1e-3 (not 0) with 4 significant digits; otherwise 4 decimals
    expect(lines(stderr)).toEqual(['[step 1] score/mean=0.5000 kl/mean=1.235e-4 kl/beta=2 loss/policy=-0.1235\n']);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('prints every N steps, numbering steps from 1', async () => {
    built = await buildPlugin(consoleLogger, { every: 2, keys: ['a'] });
    for (let s = 0; s < 5; s++) await built.instance.log(s, { a: s });
    expect(lines(stderr)).toEqual(['[step 2] a=1\n', '[step 4] a=3\n']);
  });

  it('with an empty key list prints every metric, non-finite ones too', async () => {
    built = await buildPlugin(consoleLogger, { keys: [] });
    await built.instance.log(6, { z: 0, y: Number.NaN, x: Number.POSITIVE_INFINITY, w: -0.0005, v: 0.001 });
    expect(lines(stderr)).toEqual(['[step 7] z=0 y=NaN x=Infinity w=-5.000e-4 v=0.0010\n']);
  });

  it('prints events as JSON, and writes to stdout when asked', async () => {
    built = await buildPlugin(consoleLogger, { stream: 'stdout', keys: ['a'] });
    await built.instance.log(0, { a: 1.5 });
    await built.instance.event?.('checkpoint', { step: 1, dir: 'runs/x/checkpoints/step-1' });
    expect(lines(stdout)).toEqual(['[step 1] a=1.5000\n', '[checkpoint] {"step":1,"dir":"runs/x/checkpoints/step-1"}\n']);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('refuses unknown options and an unknown stream', async () => {
    await expect(buildPlugin(consoleLogger, { every: 0 })).rejects.toThrow(/every/);
    await expect(buildPlugin(consoleLogger, { stream: 'file' })).rejects.toThrow(/stream/);
    await expect(buildPlugin(consoleLogger, { colour: true })).rejects.toThrow(/additional properties/);
  });
});
