/**
 * Optional native CPU kernels for the tfjs wasm backend.
 *
 * ```ts
 * await tf.setBackend('wasm');
 * const { installed, reason } = installNativeKernels(tf);   // reason set when the addon is missing
 * ```
 */
export { nativeKernelsAvailable, installNativeKernels, uninstallNativeKernels, installedNativeKernels, nativeKernelActive, nativeKernelCounts, NATIVE_KERNEL_NAMES, FUSED_OPS, NativeKernelsError, offReason, setNativeGemm, setNativeThreads, defaultThreads, GEMM_CHOICES } from './install';
export type { InstallOptions, InstallResult } from './install';
export { DISABLE_ENV, HOW_TO_ENABLE } from './addon';
export type { AddonInfo, GemmName } from './addon';
export { nativeBlasInfo } from './info';
export { entropy, entropyComposed, geluTanh, geluTanhComposed, layerNorm, layerNormComposed, tokenLogprobs, tokenLogprobsComposed } from './fused-ops';
export { adam } from './adam';
