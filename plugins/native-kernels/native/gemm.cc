#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RLHF_GEMM_X86 1
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define RLHF_GEMM_NEON 1
#include <arm_neon.h>
#endif

namespace rlhf {

namespace {

// Block sizes: a KC x NR panel of B (16 KiB at NR 16) stays in L1 while the MC x KC block of A
// (96 KiB) stays in L2. MC is a multiple of every MR below and NC of every NR.
constexpr int64_t kKC = 256;
constexpr int64_t kMC = 96;
constexpr int64_t kNC = 512;

// A micro-kernel computes one MR x NR tile: C = (acc ? C : 0) + sum over p < kc of
// Apanel[p][0..MR) (outer product) Bpanel[p][0..NR), each term one multiply-add in order of p.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             bool acc);

struct Kernel {
  int64_t mr, nr;
  MicroKernel fn;
};

template <int MR, int NR>
void KernelPortable(int64_t kc, const float* __restrict a, const float* __restrict b,
                    float* __restrict c, int64_t ldc, bool acc) {
  float t[MR][NR];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NR; ++j) t[r][j] = acc ? c[r * ldc + j] : 0.0f;
  }
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < MR; ++r) {
      const float av = a[r];
      for (int j = 0; j < NR; ++j) t[r][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NR; ++j) c[r * ldc + j] = t[r][j];
  }
}

#ifdef RLHF_GEMM_X86
// 6 x 16: twelve 8-float accumulators, two loads of B and six broadcasts of A per step of p.
__attribute__((target("avx2,fma"))) void KernelAvx2(int64_t kc, const float* a, const float* b,
                                                    float* c, int64_t ldc, bool acc) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (acc) {
    c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8);
    c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
    c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
    c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
    c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40), c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50), c51 = _mm256_fmadd_ps(av, b1, c51);
    a += 6;
    b += 16;
  }
  _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
  _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
  _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
  _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
  _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
  _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#endif

#ifdef RLHF_GEMM_NEON
// 8 x 8: sixteen 4-float accumulators, two loads of A and two of B per step of p.
void KernelNeon(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool acc) {
  float32x4_t t[8][2];
  for (int r = 0; r < 8; ++r) {
    t[r][0] = acc ? vld1q_f32(c + r * ldc) : vdupq_n_f32(0.0f);
    t[r][1] = acc ? vld1q_f32(c + r * ldc + 4) : vdupq_n_f32(0.0f);
  }
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    t[0][0] = vfmaq_laneq_f32(t[0][0], b0, a0, 0), t[0][1] = vfmaq_laneq_f32(t[0][1], b1, a0, 0);
    t[1][0] = vfmaq_laneq_f32(t[1][0], b0, a0, 1), t[1][1] = vfmaq_laneq_f32(t[1][1], b1, a0, 1);
    t[2][0] = vfmaq_laneq_f32(t[2][0], b0, a0, 2), t[2][1] = vfmaq_laneq_f32(t[2][1], b1, a0, 2);
    t[3][0] = vfmaq_laneq_f32(t[3][0], b0, a0, 3), t[3][1] = vfmaq_laneq_f32(t[3][1], b1, a0, 3);
    t[4][0] = vfmaq_laneq_f32(t[4][0], b0, a1, 0), t[4][1] = vfmaq_laneq_f32(t[4][1], b1, a1, 0);
    t[5][0] = vfmaq_laneq_f32(t[5][0], b0, a1, 1), t[5][1] = vfmaq_laneq_f32(t[5][1], b1, a1, 1);
    t[6][0] = vfmaq_laneq_f32(t[6][0], b0, a1, 2), t[6][1] = vfmaq_laneq_f32(t[6][1], b1, a1, 2);
    t[7][0] = vfmaq_laneq_f32(t[7][0], b0, a1, 3), t[7][1] = vfmaq_laneq_f32(t[7][1], b1, a1, 3);
    a += 8;
    b += 8;
  }
  for (int r = 0; r < 8; ++r) {
    vst1q_f32(c + r * ldc, t[r][0]);
    vst1q_f32(c + r * ldc + 4, t[r][1]);
  }
}
#endif

Kernel KernelFor(GemmKind kind) {
#ifdef RLHF_GEMM_X86
  if (kind == GemmKind::OwnAvx2) return {6, 16, KernelAvx2};
#endif
#ifdef RLHF_GEMM_NEON
  if (kind == GemmKind::OwnNeon) return {8, 8, KernelNeon};
#endif
  (void)kind;
  return {4, 8, KernelPortable<4, 8>};
}

// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into panels of mr rows: panel q holds
// element (i0 + q mr + r, p0 + p) at q mr kc + p mr + r. Rows past m are zeros.
void PackA(const float* a, int64_t lda, bool transA, int64_t m, int64_t i0, int64_t mc, int64_t p0,
           int64_t kc, int64_t mr, float* dst) {
  for (int64_t q = 0; q < mc; q += mr) {
    const int64_t rows = std::min(mr, m - (i0 + q));
    float* d = dst + q * kc;
    if (transA) {  // op(A)(i, p) = a[p lda + i]: each p reads rows contiguously
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = a + (p0 + p) * lda + i0 + q;
        int64_t r = 0;
        for (; r < rows; ++r) d[p * mr + r] = s[r];
        for (; r < mr; ++r) d[p * mr + r] = 0.0f;
      }
    } else {
      for (int64_t r = 0; r < mr; ++r) {
        if (r < rows) {
          const float* s = a + (i0 + q + r) * lda + p0;
          for (int64_t p = 0; p < kc; ++p) d[p * mr + r] = s[p];
        } else {
          for (int64_t p = 0; p < kc; ++p) d[p * mr + r] = 0.0f;
        }
      }
    }
  }
}

// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into panels of nr columns: panel q
// holds element (p0 + p, j0 + q nr + j) at q nr kc + p nr + j. Columns past n are zeros.
void PackB(const float* b, int64_t ldb, bool transB, int64_t n, int64_t j0, int64_t nc, int64_t p0,
           int64_t kc, int64_t nr, float* dst) {
  for (int64_t q = 0; q < nc; q += nr) {
    const int64_t cols = std::min(nr, n - (j0 + q));
    float* d = dst + q * kc;
    if (transB) {  // op(B)(p, j) = b[j ldb + p]
      for (int64_t j = 0; j < nr; ++j) {
        if (j < cols) {
          const float* s = b + (j0 + q + j) * ldb + p0;
          for (int64_t p = 0; p < kc; ++p) d[p * nr + j] = s[p];
        } else {
          for (int64_t p = 0; p < kc; ++p) d[p * nr + j] = 0.0f;
        }
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = b + (p0 + p) * ldb + j0 + q;
        int64_t j = 0;
        for (; j < cols; ++j) d[p * nr + j] = s[j];
        for (; j < nr; ++j) d[p * nr + j] = 0.0f;
      }
    }
  }
}

inline float* Align64(float* p) {
  const uintptr_t u = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<float*>((u + 63) & ~static_cast<uintptr_t>(63));
}

// One block of C (leading dimension n): rows [i0, i1) x columns [j0, j1), the whole sum over k.
void GemmBlock(const Kernel& kern, const float* a, const float* b, float* c, int64_t m, int64_t n,
               int64_t k, bool transA, bool transB, int64_t lda, int64_t ldb, int64_t i0,
               int64_t i1, int64_t j0, int64_t j1) {
  const int64_t mr = kern.mr, nr = kern.nr;
  // packed panels start on a 64-byte boundary, so that the kernels' loads do not straddle lines
  thread_local std::vector<float> storeA, storeB;
  const int64_t ncMax = ((j1 - j0 + nr - 1) / nr) * nr;
  storeA.resize(static_cast<size_t>(kMC * kKC + 16));
  storeB.resize(static_cast<size_t>(ncMax * kKC + 16));
  float* packA = Align64(storeA.data());
  float* packB = Align64(storeB.data());
  float edge[16 * 16];
  for (int64_t p0 = 0; p0 < k; p0 += kKC) {
    const int64_t kc = std::min(kKC, k - p0);
    const bool acc = p0 > 0;
    const int64_t nc = ((j1 - j0 + nr - 1) / nr) * nr;
    PackB(b, ldb, transB, j1, j0, nc, p0, kc, nr, packB);
    for (int64_t ic = i0; ic < i1; ic += kMC) {
      const int64_t mcRows = std::min(kMC, i1 - ic);
      const int64_t mc = ((mcRows + mr - 1) / mr) * mr;
      PackA(a, lda, transA, std::min(m, i1), ic, mc, p0, kc, mr, packA);
      for (int64_t jq = 0; jq < nc; jq += nr) {
        const int64_t cols = std::min(nr, j1 - (j0 + jq));
        const float* bp = packB + jq * kc;
        for (int64_t iq = 0; iq < mc; iq += mr) {
          const int64_t rows = std::min(mr, i1 - (ic + iq));
          const float* ap = packA + iq * kc;
          float* cp = c + (ic + iq) * n + j0 + jq;
          if (rows == mr && cols == nr) {
            kern.fn(kc, ap, bp, cp, n, acc);
            continue;
          }
          // an edge tile: the same kernel on a full-size scratch tile, the valid part copied
          for (int64_t r = 0; r < mr; ++r) {
            for (int64_t j = 0; j < nr; ++j) {
              edge[r * nr + j] = (acc && r < rows && j < cols) ? cp[r * n + j] : 0.0f;
            }
          }
          kern.fn(kc, ap, bp, edge, nr, acc);
          for (int64_t r = 0; r < rows; ++r) {
            std::memcpy(cp + r * n, edge + r * nr, sizeof(float) * static_cast<size_t>(cols));
          }
        }
      }
    }
  }
}

}  // namespace

const char* GemmName(GemmKind kind) {
  switch (kind) {
    case GemmKind::OpenBlas: return "openblas";
    case GemmKind::OwnScalar: return "own-scalar";
    case GemmKind::OwnAvx2: return "own-avx2";
    case GemmKind::OwnNeon: return "own-neon";
  }
  return "unknown";
}

bool GemmAvailable(GemmKind kind) {
  switch (kind) {
    case GemmKind::OpenBlas:
#ifdef RLHF_HAVE_OPENBLAS
      return true;
#else
      return false;
#endif
    case GemmKind::OwnScalar: return true;
    case GemmKind::OwnAvx2:
#ifdef RLHF_GEMM_X86
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case GemmKind::OwnNeon:
#ifdef RLHF_GEMM_NEON
      return true;
#else
      return false;
#endif
  }
  return false;
}

GemmKind BestOwnGemm() {
  if (GemmAvailable(GemmKind::OwnAvx2)) return GemmKind::OwnAvx2;
  if (GemmAvailable(GemmKind::OwnNeon)) return GemmKind::OwnNeon;
  return GemmKind::OwnScalar;
}

void OwnBatchGemm(GemmKind kind, const float* a, const float* b, float* c, int64_t batch,
                  int64_t m, int64_t n, int64_t k, bool transA, bool transB, int64_t aStride,
                  int64_t bStride, const int32_t* aIdx, const int32_t* bIdx) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k <= 0) {
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(batch * m * n));
    return;
  }
  const Kernel kern = KernelFor(kind);
  const int64_t lda = transA ? m : k, ldb = transB ? k : n;
  // Tasks: every batch x column block of kNC x row chunk. The row chunk (a multiple of kMC) is cut
  // so that there are about two tasks per thread when the product is large enough to pay for it;
  // how C is cut does not change any element (see gemm.h).
  const int64_t threads = ThreadCount();
  const int64_t colBlocks = (n + kNC - 1) / kNC;
  const int64_t rowBlocks = (m + kMC - 1) / kMC;
  const double flops = 2.0 * static_cast<double>(batch) * m * n * k;
  int64_t chunkBlocks = rowBlocks;  // whole m per task
  if (threads > 1 && flops >= 4.0e6) {
    const int64_t want = 2 * threads;
    const int64_t have = batch * colBlocks;
    if (have < want) {
      const int64_t cuts = std::min(rowBlocks, (want + have - 1) / have);
      chunkBlocks = (rowBlocks + cuts - 1) / cuts;
    }
  }
  const int64_t chunks = (rowBlocks + chunkBlocks - 1) / chunkBlocks;
  const int64_t tasks = batch * colBlocks * chunks;
  auto run = [&](int64_t t) {
    const int64_t chunk = t % chunks;
    const int64_t col = (t / chunks) % colBlocks;
    const int64_t i = t / (chunks * colBlocks);
    const int64_t ai = aIdx ? aIdx[i] : i, bi = bIdx ? bIdx[i] : i;
    const int64_t i0 = chunk * chunkBlocks * kMC, i1 = std::min(m, i0 + chunkBlocks * kMC);
    const int64_t j0 = col * kNC, j1 = std::min(n, j0 + kNC);
    GemmBlock(kern, a + ai * aStride, b + bi * bStride, c + i * m * n, m, n, k, transA, transB,
              lda, ldb, i0, i1, j0, j1);
  };
  if (threads > 1 && flops >= 4.0e6) {
    ParallelFor(tasks, run);
  } else {
    for (int64_t t = 0; t < tasks; ++t) run(t);
  }
}

}  // namespace rlhf
