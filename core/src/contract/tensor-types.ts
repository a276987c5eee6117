/**
 * The tfjs types that the contract's signatures use (PolicyModel.forward, TensorRuntime.tf, the
 * optimizer helpers), re-exported so that a plugin can name them without depending on
 * @tensorflow/tfjs-core itself: `import type { Tensor2D } from '@rlhfjs/core'`. Types only; the
 * values (ops, the engine) come from `Tokens.Runtime`'s `tf`.
 */
export type {
  DataType,
  NamedTensorMap,
  Optimizer,
  AdamOptimizer,
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  TensorLike,
  Variable,
} from '@tensorflow/tfjs-core';
