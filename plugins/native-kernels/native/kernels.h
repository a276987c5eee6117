// Compute routines behind the native tfjs kernels. They know nothing of Node or tfjs: every
// operand is a raw float pointer into the wasm backend's heap, shapes arrive already checked.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace rlhf {

// The GEMM behind BatchMatMul: OpenBLAS where linked, else the best own kernel; the environment
// variable RLHF_NATIVE_GEMM (own, own-scalar, own-avx2, own-neon, openblas) changes the first
// choice, SetGemm changes it at run time (false, and no change, when `kind` is not available).
GemmKind CurrentGemm();
bool SetGemm(GemmKind kind);

// Row-major batched C = op(A) * op(B). For batch i, A starts at a + aIndex(i) * aStride where
// aIndex(i) = aIdx ? aIdx[i] : i (same for B). A stride of 0 broadcasts one matrix to every batch.
// Large products are split over the thread pool by blocks of output rows (and columns), never
// over k, so that the result is the same at any thread count.
void BatchMatMul(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n,
                 int64_t k, bool transA, bool transB, int64_t aStride, int64_t bStride,
                 const int32_t* aIdx, const int32_t* bIdx);

enum class UnaryOp : int32_t {
  Exp = 0, Tanh = 1, Log = 2, Neg = 3, Sqrt = 4, Rsqrt = 5, Square = 6, Sigmoid = 7, Relu = 8,
  Abs = 9, Reciprocal = 10,
};
constexpr int32_t kUnaryOpCount = 11;
void Unary(UnaryOp op, const float* x, float* y, int64_t n);

enum class BinaryOp : int32_t {
  Add = 0, Sub = 1, Mul = 2, Div = 3, Maximum = 4, Minimum = 5, SquaredDifference = 6,
};
constexpr int32_t kBinaryOpCount = 7;
// out has `rank` dims of sizes shape[]; aStrides/bStrides give the element stride of each input
// along each output dim (0 where that input is broadcast).
void Binary(BinaryOp op, const float* a, const float* b, float* out, int32_t rank,
            const int64_t* shape, const int64_t* aStrides, const int64_t* bStrides);

enum class ReduceOp : int32_t { Sum = 0, Max = 1, Min = 2, Mean = 3 };
constexpr int32_t kReduceOpCount = 4;
// x viewed as [outer, reduce, inner], reduced over the middle axis into out [outer, inner].
void Reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner);

// Copies a strided view of 4-byte elements (float32 or int32): Slice, Concat, SplitV and Transpose
// are all this copy with different strides. Strides are in elements.
void StridedCopy4(const uint32_t* src, uint32_t* dst, int32_t rank, const int64_t* shape,
                  const int64_t* srcStrides, const int64_t* dstStrides);

enum class CastKind : int32_t {
  Int32ToFloat = 0, BoolToFloat = 1, FloatToInt32 = 2, FloatToBool = 3, Int32ToBool = 4,
};
constexpr int32_t kCastKindCount = 5;
// float32 and int32 elements are 4 bytes, bool 1 byte. FloatToInt32 truncates like JavaScript's
// ToInt32 (what the stock wasm kernel does through TypedArray.set). To bool is x != 0 (NaN gives
// 1), as on the cpu backend; stock wasm instead wraps the value modulo 256.
void Cast(CastKind kind, const void* x, void* out, int64_t n);

// Gather of 4-byte elements along one axis: x [outer, n, inner], idx [count] → out [outer, count,
// inner]. Checks every index first and returns the position of the first outside [0, n) without
// writing anything, or -1 after the copy.
int64_t Gather4(const uint32_t* x, const int32_t* idx, uint32_t* out, int64_t outer, int64_t n,
                int64_t count, int64_t inner);

// Fused GELU, tanh approximation: y = 0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi),
// and its gradient dx = dy * dy/dx.
void GeluTanh(const float* x, float* y, int64_t n);
void GeluTanhGrad(const float* dy, const float* x, float* dx, int64_t n);

// Fused LayerNorm over the last axis of x [rows, d]: y = (x - mean) * rstd * gamma + beta, with
// rstd = 1 / sqrt(var + eps) (biased variance). mean and rstd [rows] are kept for the gradient.
void LayerNorm(const float* x, const float* gamma, const float* beta, float* y, float* mean,
               float* rstd, int64_t rows, int64_t d, float eps);
void LayerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean,
                   const float* rstd, float* dx, float* dgamma, float* dbeta, int64_t rows,
                   int64_t d);

// Log-probability of each row's target under softmax(logits), logits [rows, V], targets [rows]:
// lp = logits[t] - logsumexp(logits). lse [rows] is kept for the gradient. A target outside [0, V)
// gives lp 0 and a zero gradient (what one-hot x logSoftmax gives).
void TokenLogprobs(const float* logits, const int32_t* targets, float* lp, float* lse, int64_t rows,
                   int64_t v);
// dlogits = dlp * (onehot(target) - softmax(logits)), row by row.
// Entropy −Σ p log p of softmax(logits) per row; lse (log Σ e^x) and mu (Σ p x) are kept for the
// gradient dH/dx_j = −p_j (x_j − mu).
void Entropy(const float* logits, float* h, float* lse, float* mu, int64_t rows, int64_t v);
void EntropyGrad(const float* dh, const float* logits, const float* lse, const float* mu,
                 float* dlogits, int64_t rows, int64_t v);

void TokenLogprobsGrad(const float* dlp, const float* logits, const int32_t* targets,
                       const float* lse, float* dlogits, int64_t rows, int64_t v);

// One Adam step, in the order of tfjs's AdamOptimizer: m' = b1 m + (1 - b1) g,
// v' = b2 v + (1 - b2) g^2, x' = x - lr (m' / c1) / (sqrt(v' / c2) + eps), with c1 = 1 - b1^t and
// c2 = 1 - b2^t. Outputs go to new buffers (tfjs tensors are immutable).
void AdamStep(const float* x, const float* g, const float* m, const float* v, float* xOut,
              float* mOut, float* vOut, int64_t n, float lr, float b1, float b2, float eps,
              float c1, float c2);

}  // namespace rlhf
