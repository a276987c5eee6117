/**
 * Every WebGPU pipeline a step needs passes Dawn's validation (WGSL compilation, bind group
 * layouts within the device's default limits), checked on Dawn's "null" adapter, which validates
 * like a real device and computes nothing: so it runs on a machine without a GPU. Each kernel the
 * engine dispatches runs inside its own validation error scope; any error is reported with the
 * kernel's name. (The numbers on this adapter are meaningless: parity is webgpu-parity.test.ts.)
 */
import { createTensorRuntime, DiagnosticError, Rng, WEBGPU_ENV, type TF } from '@rlhfjs/core';
import { parityCase, tinyModel, tinyTokenizer } from '@rlhfjs/plugin-lm/testing';
import { iteration, ONLINE, SAMPLING } from './online-iteration';

interface ErrorScopes {
  pushErrorScope(filter: string): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

let tf: TF;
let device: ErrorScopes;
let skipped = '';

beforeAll(async () => {
  try {
    require.resolve('webgpu/package.json');
    require.resolve('@tensorflow/tfjs-backend-webgpu');
  } catch {
    skipped = 'skipped: the optional packages webgpu / @tensorflow/tfjs-backend-webgpu are not installed';
    console.log(skipped);
    return;
  }
  process.env[WEBGPU_ENV.dawnOptions] = 'backend=null';
  const rt = await createTensorRuntime({ backend: 'webgpu' });
  delete process.env[WEBGPU_ENV.dawnOptions];
  tf = rt.tf;
  expect(rt.gpu?.device).toBe('null-backend');
  device = (tf.backend() as unknown as { device: ErrorScopes }).device;
});

/** Run `fn` with each kernel in its own validation scope; the errors, one line each, with the kernel's name. */
async function validationErrors(fn: () => Promise<unknown>): Promise<{ errors: string[]; calls: number; threw?: unknown }> {
  const engine = tf.engine() as unknown as { runKernel(name: string, inputs: unknown, attrs?: unknown): unknown };
  const previous = engine.runKernel;
  const pending: Promise<string | null>[] = [];
  engine.runKernel = function (name: string, inputs: unknown, attrs?: unknown) {
    device.pushErrorScope('validation');
    try {
      return previous.call(this, name, inputs, attrs);
    } finally {
      pending.push(device.popErrorScope().then((e) => (e ? `${name}: ${e.message.split('\n')[0]}` : null)));
    }
  };
  let threw: unknown;
  try {
    await fn();
  } catch (err) {
    threw = err;
  } finally {
    delete (engine as Partial<typeof engine>).runKernel;
  }
  const errors = [...new Set((await Promise.all(pending)).filter((e): e is string => e !== null))];
  return { errors, calls: pending.length, threw };
}

describe('webgpu pipelines pass Dawn validation (null adapter)', () => {
  test('the check catches a pipeline Dawn refuses: AddN of 31 inputs needs 32 storage buffers, the device offers 8', async () => {
    if (skipped) return;
    const r = await validationErrors(async () => {
      const xs = Array.from({ length: 31 }, () => tf.ones([4]));
      const s = tf.addN(xs);
      await s.data();
      tf.dispose([...xs, s]);
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^AddN: The number of storage buffers \(\d+\) in the Compute stage exceeds the maximum per-stage limit \(8\)/);
  });

  test('GPT forward, log-probs, backward, global norm and Adam; then generation', async () => {
    if (skipped) return;
    const r = await validationErrors(async () => {
      await parityCase(tf);
      await parityCase(tf, { tieEmbeddings: false });
      const m = tinyModel(tf, { valueHead: true }, 3, tinyTokenizer());
      await m.generate([[1, 5, 6], [1, 7]], SAMPLING, new Rng(1));
      m.dispose();
    });
    expect(r.threw).toBeUndefined();
    expect(r.calls).toBeGreaterThan(1000);
    expect(r.errors).toEqual([]);
  });

  test.each(ONLINE)('one %s iteration', async (name, options, valueHead) => {
    if (skipped) return;
    const r = await validationErrors(() => iteration(tf, name, options, valueHead));
    // the null adapter's buffers hold no numbers: a loss read back as NaN stops the step, after its kernels ran
    if (r.threw !== undefined) expect(DiagnosticError.is(r.threw) && r.threw.diagnostics[0].code).toBe('train/non-finite-loss');
    expect(r.calls).toBeGreaterThan(200);
    expect(r.errors).toEqual([]);
  });
});
