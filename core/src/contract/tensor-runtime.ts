import type * as tfc from '@tensorflow/tfjs-core';

/** The tfjs-core namespace. Plugins take it from {@link TensorRuntime.tf}, so that every package shares one engine. */
export type TF = typeof tfc;

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** What the runtime resolved: injected as `Tokens.Runtime`. */
export interface TensorRuntime {
  tf: TF;
  /** The backend that is active, checked with `tf.getBackend()` after switching. */
  backend: BackendName;
  /** Native kernels that replaced stock ones on this backend (empty when none). */
  nativeKernels: string[];
  /** With native kernels: the GEMM behind BatchMatMul (openblas, own-avx2, own-neon or own-scalar). */
  nativeGemm?: string;
  /** With native kernels: the threads of their pool (results are the same at any count). */
  nativeThreads?: number;
  /** The GPU adapter the backend runs on (webgpu only), as the manifest reports it. */
  gpu?: GpuAdapterReport;
}

/** A GPU adapter as WebGPU describes it (GPUAdapterInfo, selected GPUSupportedLimits, features). */
export interface GpuAdapterReport {
  api: 'webgpu';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  limits: Record<string, number>;
  features: string[];
  /** Dawn options the adapter was asked for with ($RLHFJS_DAWN_OPTIONS), usually none. */
  dawnOptions: string[];
}
