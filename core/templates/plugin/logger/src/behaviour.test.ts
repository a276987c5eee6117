import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('writes the chosen metrics, one row per step, in the run directory', async () => {
  const built = await buildPlugin(__EXPORT__, { keys: ['reward/mean', 'kl/mean'] });
  try {
    const l = built.instance;
    await l.start?.({ runDir: built.runDir, totalSteps: 2, startStep: 0 });
    await l.log(0, { 'reward/mean': 0.5, 'kl/mean': 0.25, 'loss/policy': 3 });
    await l.log(1, { 'reward/mean': 0.75 });
    await l.close?.();
    const text = fs.readFileSync(path.join(built.runDir, 'metrics.tsv'), 'utf8');
    expect(text).toBe('step\treward/mean\tkl/mean\n0\t0.5\t0.25\n1\t0.75\t\n');
  } finally {
    built.dispose();
  }
});
