import { loadAddon, type AddonInfo } from './addon';

/**
 * What the addon runs: the OpenBLAS build it links ("" when none), the pool's threads, the GEMM
 * behind BatchMatMul (openblas, own-avx2, own-neon or own-scalar) and every GEMM it can run; null
 * when the addon is off.
 */
export function nativeBlasInfo(): AddonInfo | null {
  const state = loadAddon();
  return state.ok ? state.addon.info() : null;
}
