import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '../train/gradients';

/** The tfjs namespace on the cpu backend, checked (a failed setBackend falls back silently). */
export async function cpuTf(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  ensureGradients(tf);
  if (tf.getBackend() !== 'cpu') throw new Error(`expected the cpu backend, got ${tf.getBackend()}`);
  return tf;
}

export { tf };
