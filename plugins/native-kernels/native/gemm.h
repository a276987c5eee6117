// The project's own single-precision GEMM, used where OpenBLAS is not linked (or when asked for):
// operands are packed into panels and a register-blocked micro-kernel computes MR x NR tiles of C.
// Micro-kernels: AVX2/FMA on x86-64 (picked at run time when the CPU has them), NEON on arm64,
// and portable C++ elsewhere.
#pragma once
#include <cstdint>

namespace rlhf {

enum class GemmKind : int32_t { OpenBlas = 0, OwnScalar = 1, OwnAvx2 = 2, OwnNeon = 3 };

const char* GemmName(GemmKind kind);
// Whether this build and this CPU can run `kind`.
bool GemmAvailable(GemmKind kind);
// The fastest own kernel this CPU runs.
GemmKind BestOwnGemm();

// Row-major batched C = op(A) * op(B), op = transpose where the flag is set: for batch i, A
// [m, k] (or [k, m] transposed) at a + aIdx(i) * aStride, B [k, n] (or [n, k]) at
// b + bIdx(i) * bStride, C [m, n] at c + i * m * n; aIdx(i) = aIdx ? aIdx[i] : i, same for B.
// Each element of C is the sum over p of A(i, p) B(p, j), accumulated in order of p with one
// multiply-add per term (fused where the kernel has FMA), so that a result does not depend on how
// C is cut into blocks. Large products are split over the thread pool (native/pool.h) in blocks of
// whole output rows and columns, never over k: any thread count gives the same bits.
void OwnBatchGemm(GemmKind kind, const float* a, const float* b, float* c, int64_t batch,
                  int64_t m, int64_t n, int64_t k, bool transA, bool transB, int64_t aStride,
                  int64_t bStride, const int32_t* aIdx, const int32_t* bIdx);

}  // namespace rlhf
