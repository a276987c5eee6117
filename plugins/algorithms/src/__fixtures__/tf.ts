import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '@rlhfjs/core';

/** The tfjs namespace on the cpu backend, checked (a failed setBackend falls back silently). */
export async function cpuTf(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  ensureGradients(tf);
  if (tf.getBackend() !== 'cpu') throw new Error(`expected the cpu backend, got ${tf.getBackend()}`);
  return tf;
}

export { tf };

/** The tfjs namespace on the wasm backend (one thread), checked. */
export async function wasmTf(): Promise<typeof tf> {
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`expected the wasm backend, got ${tf.getBackend()}`);
  ensureGradients(tf);
  return tf;
}
