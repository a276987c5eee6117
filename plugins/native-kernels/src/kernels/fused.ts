import type { NativeAddon } from '../addon';
import { heapBuffer, heapOffset, type TensorInfo, type WasmBackendInternals } from '../wasm-internals';
import { sizeOf } from './types';

/** tfjs kernel names of the fused ops; they exist only where native kernels are installed. */
export const FUSED_KERNEL_NAMES = {
  gelu: 'RlhfjsGeluTanh',
  geluGrad: 'RlhfjsGeluTanhGrad',
  layerNorm: 'RlhfjsLayerNorm',
  layerNormGrad: 'RlhfjsLayerNormGrad',
  tokenLogprobs: 'RlhfjsTokenLogprobs',
  tokenLogprobsGrad: 'RlhfjsTokenLogprobsGrad',
  entropy: 'RlhfjsEntropy',
  entropyGrad: 'RlhfjsEntropyGrad',
  adam: 'RlhfjsAdamStep',
} as const;

/** A kernel with no stock counterpart: it must handle every input its op wrapper sends. */
export interface FusedKernel {
  kernelName: string;
  run(args: { inputs: Record<string, TensorInfo>; backend: WasmBackendInternals; attrs: Record<string, unknown> }, addon: NativeAddon): TensorInfo | TensorInfo[];
}

function requireFloat32(kernel: string, ...ts: TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new Error(`@rlhfjs/native-kernels: ${kernel} takes float32 tensors, got ${t.dtype}`);
  }
}

export const fusedKernels: FusedKernel[] = [
  {
    kernelName: FUSED_KERNEL_NAMES.gelu,
    run({ inputs: { x }, backend }, addon) {
      requireFloat32('geluTanh', x);
      const out = backend.makeOutput(x.shape.slice(), 'float32');
      const n = sizeOf(x.shape);
      if (n > 0) addon.gelu(heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, out), n);
      return out;
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.geluGrad,
    run({ inputs: { dy, x }, backend }, addon) {
      requireFloat32('geluTanh gradient', dy, x);
      const dx = backend.makeOutput(x.shape.slice(), 'float32');
      const n = sizeOf(x.shape);
      if (n > 0) addon.geluGrad(heapBuffer(backend), heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, dx), n);
      return dx;
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.layerNorm,
    run({ inputs: { x, gamma, beta }, backend, attrs }, addon) {
      requireFloat32('layerNorm', x, gamma, beta);
      const d = x.shape[x.shape.length - 1];
      const rows = sizeOf(x.shape) / d;
      const y = backend.makeOutput(x.shape.slice(), 'float32');
      const mean = backend.makeOutput([rows], 'float32');
      const rstd = backend.makeOutput([rows], 'float32');
      if (rows > 0) {
        addon.layerNorm(heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, beta), heapOffset(backend, y), heapOffset(backend, mean), heapOffset(backend, rstd), rows, d, attrs.eps as number);
      }
      return [y, mean, rstd];
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.layerNormGrad,
    run({ inputs: { dy, x, gamma, mean, rstd }, backend }, addon) {
      requireFloat32('layerNorm gradient', dy, x, gamma, mean, rstd);
      const d = x.shape[x.shape.length - 1];
      const rows = sizeOf(x.shape) / d;
      const dx = backend.makeOutput(x.shape.slice(), 'float32');
      const dgamma = backend.makeOutput(gamma.shape.slice(), 'float32');
      const dbeta = backend.makeOutput(gamma.shape.slice(), 'float32');
      addon.layerNormGrad(heapBuffer(backend), heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, mean), heapOffset(backend, rstd), heapOffset(backend, dx), heapOffset(backend, dgamma), heapOffset(backend, dbeta), rows, d);
      return [dx, dgamma, dbeta];
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.tokenLogprobs,
    run({ inputs: { logits, targets }, backend }, addon) {
      requireFloat32('tokenLogprobs', logits);
      if (targets.dtype !== 'int32') throw new Error(`@rlhfjs/native-kernels: tokenLogprobs takes int32 targets, got ${targets.dtype}`);
      const v = logits.shape[logits.shape.length - 1];
      const rows = sizeOf(targets.shape);
      const lp = backend.makeOutput(targets.shape.slice(), 'float32');
      const lse = backend.makeOutput([rows], 'float32');
      if (rows > 0) addon.tokenLogprobs(heapBuffer(backend), heapOffset(backend, logits), heapOffset(backend, targets), heapOffset(backend, lp), heapOffset(backend, lse), rows, v);
      return [lp, lse];
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.tokenLogprobsGrad,
    run({ inputs: { dy, logits, targets, lse }, backend }, addon) {
      requireFloat32('tokenLogprobs gradient', dy, logits, lse);
      const v = logits.shape[logits.shape.length - 1];
      const rows = sizeOf(targets.shape);
      const dlogits = backend.makeOutput(logits.shape.slice(), 'float32');
      if (rows > 0) addon.tokenLogprobsGrad(heapBuffer(backend), heapOffset(backend, dy), heapOffset(backend, logits), heapOffset(backend, targets), heapOffset(backend, lse), heapOffset(backend, dlogits), rows, v);
      return dlogits;
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.entropy,
    run({ inputs: { logits }, backend }, addon) {
      requireFloat32('entropy', logits);
      const v = logits.shape[logits.shape.length - 1];
      const shape = logits.shape.slice(0, -1);
      const rows = sizeOf(shape);
      const h = backend.makeOutput(shape, 'float32');
      const lse = backend.makeOutput([rows], 'float32');
      const mu = backend.makeOutput([rows], 'float32');
      if (rows > 0) addon.entropy(heapBuffer(backend), heapOffset(backend, logits), heapOffset(backend, h), heapOffset(backend, lse), heapOffset(backend, mu), rows, v);
      return [h, lse, mu];
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.entropyGrad,
    run({ inputs: { dy, logits, lse, mu }, backend }, addon) {
      requireFloat32('entropy gradient', dy, logits, lse, mu);
      const v = logits.shape[logits.shape.length - 1];
      const rows = sizeOf(logits.shape.slice(0, -1));
      const dlogits = backend.makeOutput(logits.shape.slice(), 'float32');
      if (rows > 0) addon.entropyGrad(heapBuffer(backend), heapOffset(backend, dy), heapOffset(backend, logits), heapOffset(backend, lse), heapOffset(backend, mu), heapOffset(backend, dlogits), rows, v);
      return dlogits;
    },
  },
  {
    kernelName: FUSED_KERNEL_NAMES.adam,
    run({ inputs: { x, g, m, v }, backend, attrs }, addon) {
      requireFloat32('adam', x, g, m, v);
      const n = sizeOf(x.shape);
      for (const t of [g, m, v]) {
        if (sizeOf(t.shape) !== n) throw new Error(`@rlhfjs/native-kernels: adam operands differ in size (${x.shape} vs ${t.shape})`);
      }
      const xo = backend.makeOutput(x.shape.slice(), 'float32');
      const mo = backend.makeOutput(x.shape.slice(), 'float32');
      const vo = backend.makeOutput(x.shape.slice(), 'float32');
      if (n > 0) {
        const a = attrs as { lr: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number };
        addon.adamStep(heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, g), heapOffset(backend, m), heapOffset(backend, v), heapOffset(backend, xo), heapOffset(backend, mo), heapOffset(backend, vo), n, a.lr, a.beta1, a.beta2, a.epsilon, a.c1, a.c2);
      }
      return [xo, mo, vo];
    },
  },
];
