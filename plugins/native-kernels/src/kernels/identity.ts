import type { NativeKernel } from './types';

/**
 * Identity without a copy: the output shares the input's data and takes a reference on it, as the
 * cpu backend does. Stock wasm copies the whole buffer on every call (gradients pass through
 * Identity often). Strings keep the stock kernel.
 */
export const identityKernel: NativeKernel = {
  kernelName: 'Identity',
  run({ inputs, backend }) {
    const { x } = inputs;
    if (x.dtype === 'string') return null;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  },
};
