import type { TF } from './wasm-internals';

/**
 * Test set-up: the wasm backend active, with the gradients of the @tensorflow/tfjs bundle registered
 * (tfjs-core's CommonJS build registers none). Throws when wasm does not start.
 */
export async function startWasmBackend(tf: TF): Promise<void> {
  if (tf.getGradient('Sum') === undefined) require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wasm backend did not start (got ${tf.getBackend()})`);
}
