import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('beta decays geometrically to the floor, and the state restores it', async () => {
  const built = await buildPlugin(__EXPORT__, { initial: 0.2, decay: 0.9, min: 0.05 });
  try {
    const kl = built.instance;
    expect(kl.value).toBe(0.2);
    kl.update(3.0, 8);
    kl.update(0.1, 8);
    expect(kl.value).toBeCloseTo(0.162, 12); // 0.2 * 0.9^2
    const saved = kl.getState();
    for (let i = 0; i < 10; i++) kl.update(1, 8);
    expect(kl.value).toBeCloseTo(0.0564859072962, 12); // 0.2 * 0.9^12
    kl.update(1, 8);
    kl.update(1, 8);
    expect(kl.value).toBe(0.05); // 0.2 * 0.9^14 = 0.0458 is below the floor
    kl.setState(saved);
    expect(kl.value).toBeCloseTo(0.162, 12);
  } finally {
    built.dispose();
  }
});
