import type { TF } from '../contract/tensor-runtime';

/** One kernel call as the engine dispatched it. */
export interface KernelCall {
  kernel: string;
  /** The backend the engine ran it on (tf.engine().backendName at dispatch). */
  backend: string;
}

interface EngineLike {
  backendName: string;
  runKernel(name: string, inputs: unknown, attrs?: unknown): unknown;
}

/**
 * Run `fn` with every `engine.runKernel` call recorded: the kernel's name and the backend that ran
 * it. Every op of tfjs-core (forward ops, their gradients, optimisers) goes through runKernel, so
 * this lists the kernels a step needs from a backend. Async `fn` is awaited before the engine is
 * restored; calls made meanwhile from elsewhere are recorded too, so trace one thing at a time.
 */
export async function traceKernels<T>(tf: TF, fn: () => T | Promise<T>): Promise<{ result: T; calls: KernelCall[] }> {
  const engine = tf.engine() as unknown as EngineLike;
  const calls: KernelCall[] = [];
  const own = Object.prototype.hasOwnProperty.call(engine, 'runKernel');
  const previous = engine.runKernel;
  engine.runKernel = function (this: EngineLike, name: string, inputs: unknown, attrs?: unknown) {
    calls.push({ kernel: name, backend: engine.backendName });
    return previous.call(this, name, inputs, attrs);
  };
  try {
    const result = await fn();
    return { result, calls };
  } finally {
    if (own) engine.runKernel = previous;
    else delete (engine as Partial<EngineLike>).runKernel;
  }
}

/** Distinct kernel names of a trace, sorted. */
export function kernelNames(calls: readonly KernelCall[]): string[] {
  return [...new Set(calls.map((c) => c.kernel))].sort();
}
