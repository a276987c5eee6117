#include "kernels.h"

#ifdef RLHF_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "pool.h"

namespace rlhf {

namespace {

GemmKind InitialGemm() {
  // RLHF_NATIVE_GEMM=own (or own-scalar, own-avx2, own-neon) picks the project's own GEMM even
  // where OpenBLAS is linked; openblas or unset: OpenBLAS where linked, else the best own kernel.
  const char* env = std::getenv("RLHF_NATIVE_GEMM");
  const std::string want = env ? env : "";
  for (GemmKind kind : {GemmKind::OwnScalar, GemmKind::OwnAvx2, GemmKind::OwnNeon}) {
    if (want == GemmName(kind) && GemmAvailable(kind)) return kind;
  }
  if (want.rfind("own", 0) != 0 && GemmAvailable(GemmKind::OpenBlas)) return GemmKind::OpenBlas;
  return BestOwnGemm();
}

GemmKind& Gemm() {
  static GemmKind kind = InitialGemm();
  return kind;
}

}  // namespace

GemmKind CurrentGemm() { return Gemm(); }

namespace {
// Elementwise and row-wise kernels go over the thread pool from this many elements on, in ranges
// that start at multiples of 64 elements (or whole rows): every element is computed by the same
// code whichever thread runs it, so the result does not depend on the thread count.
constexpr int64_t kParallelMin = 1 << 17;
constexpr int64_t kAlign = 64;
}  // namespace

bool SetGemm(GemmKind kind) {
  if (!GemmAvailable(kind)) return false;
  Gemm() = kind;
  return true;
}

void BatchMatMul(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n,
                 int64_t k, bool transA, bool transB, int64_t aStride, int64_t bStride,
                 const int32_t* aIdx, const int32_t* bIdx) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k <= 0) {  // an empty inner dimension: every dot product is an empty sum
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(batch * m * n));
    return;
  }
  const GemmKind kind = Gemm();
  if (kind != GemmKind::OpenBlas) {
    OwnBatchGemm(kind, a, b, c, batch, m, n, k, transA, transB, aStride, bStride, aIdx, bIdx);
    return;
  }
#ifdef RLHF_HAVE_OPENBLAS
  const int lda = static_cast<int>(transA ? m : k);
  const int ldb = static_cast<int>(transB ? k : n);
  const int ldc = static_cast<int>(n);
  // OpenBLAS itself runs on one thread, and only whole matrices of a batch go over the pool: its
  // sgemm does not give the same bits when C is cut into row or column blocks (nor on two of its
  // own threads), so each product stays one call, as on one thread.
  auto run = [&](int64_t i) {
    const int64_t ai = aIdx ? aIdx[i] : i;
    const int64_t bi = bIdx ? bIdx[i] : i;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, a + ai * aStride, lda, b + bi * bStride, ldb, 0.0f,
                c + i * m * n, ldc);
  };
  if (ThreadCount() > 1 && batch > 1 && 2.0 * static_cast<double>(batch) * m * n * k >= 4.0e6) {
    ParallelFor(batch, run);
  } else {
    for (int64_t i = 0; i < batch; ++i) run(i);
  }
#endif
}

namespace {

inline float BitsToFloat(int32_t bits) { return __builtin_bit_cast(float, bits); }
inline int32_t FloatToBits(float f) { return __builtin_bit_cast(int32_t, f); }

// exp(x) without branches or libm calls, so that loops over it vectorize (glibc's expf does not;
// GCC also needs -fno-trapping-math, set in binding.gyp, to compute both sides of the selects):
// Cephes' polynomial on the reduced argument, scaled by 2^n in two halves so that results down in
// the subnormal range and up to overflow come out right. Within 2 ulp of expf.
inline float FastExp(float x) {
  const float xc = std::min(std::max(x, -104.0f), 89.0f);  // NaN passes through both
  // adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits (no floor call)
  const float shifted = xc * 1.44269504088896341f + 12582912.0f;
  const float fn = shifted - 12582912.0f;
  const int32_t n = FloatToBits(shifted) - FloatToBits(12582912.0f);
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t n1 = n >> 1;  // floor(n / 2): both halves stay normal exponents
  const int32_t n2 = n - n1;
  const float y = p * BitsToFloat((n1 + 127) << 23) * BitsToFloat((n2 + 127) << 23);
  return x != x ? x : y;
}

// tanh(x): Cephes' odd polynomial for |x| < 0.625, (1 - e^-2|x|) / (1 + e^-2|x|) beyond.
inline float FastTanh(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float e = FastExp(-2.0f * ax);
  const float big = std::copysign((1.0f - e) / (1.0f + e), x);
  return ax < 0.625f ? small : big;  // NaN: ax < 0.625 is false, and big is NaN
}

template <typename F>
inline void Map(const float* __restrict x, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// The same loop when input and output are the same buffer (no restrict).
template <typename F>
inline void MapAliased(const float* x, float* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <typename F>
inline void Apply(const float* x, float* y, int64_t n, F f) {
  if (x == y) MapAliased(x, y, n, f);
  else Map(x, y, n, f);
}

}  // namespace

namespace {
void UnaryRange(UnaryOp op, const float* x, float* y, int64_t n) {
  switch (op) {
    case UnaryOp::Exp: Apply(x, y, n, [](float v) { return FastExp(v); }); break;
    case UnaryOp::Tanh: Apply(x, y, n, [](float v) { return FastTanh(v); }); break;
    case UnaryOp::Log: Apply(x, y, n, [](float v) { return std::log(v); }); break;
    case UnaryOp::Neg: Apply(x, y, n, [](float v) { return -v; }); break;
    case UnaryOp::Sqrt: Apply(x, y, n, [](float v) { return std::sqrt(v); }); break;
    case UnaryOp::Rsqrt: Apply(x, y, n, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case UnaryOp::Square: Apply(x, y, n, [](float v) { return v * v; }); break;
    case UnaryOp::Sigmoid:
      Apply(x, y, n, [](float v) { return 1.0f / (1.0f + FastExp(-v)); });
      break;
    case UnaryOp::Relu:
      Apply(x, y, n, [](float v) { return std::isnan(v) ? v : (v > 0.0f ? v : 0.0f); });
      break;
    case UnaryOp::Abs: Apply(x, y, n, [](float v) { return std::fabs(v); }); break;
    case UnaryOp::Reciprocal: Apply(x, y, n, [](float v) { return 1.0f / v; }); break;
  }
}
}  // namespace

void Unary(UnaryOp op, const float* x, float* y, int64_t n) {
  ParallelRange(n, kParallelMin, kAlign,
                [&](int64_t b, int64_t e) { UnaryRange(op, x + b, y + b, e - b); });
}

namespace {

struct AddF { static inline float f(float a, float b) { return a + b; } };
struct SubF { static inline float f(float a, float b) { return a - b; } };
struct MulF { static inline float f(float a, float b) { return a * b; } };
struct DivF { static inline float f(float a, float b) { return a / b; } };
// tfjs propagates NaN through maximum/minimum
struct MaxF {
  static inline float f(float a, float b) {
    return (std::isnan(a) || std::isnan(b)) ? std::numeric_limits<float>::quiet_NaN()
                                            : (a > b ? a : b);
  }
};
struct MinF {
  static inline float f(float a, float b) {
    return (std::isnan(a) || std::isnan(b)) ? std::numeric_limits<float>::quiet_NaN()
                                            : (a < b ? a : b);
  }
};
struct SqDiffF {
  static inline float f(float a, float b) {
    const float d = a - b;
    return d * d;
  }
};

// The innermost loop in its four common stride patterns, so that the compiler vectorizes each.
template <typename Op>
inline void Inner(const float* a, const float* b, float* out, int64_t n, int64_t sa, int64_t sb) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i * sa], b[i * sb]);
  }
}

template <typename Op>
void Walk(const float* a, const float* b, float* out, int32_t dim, int32_t rank,
          const int64_t* shape, const int64_t* sa, const int64_t* sb, int64_t outStride) {
  if (dim == rank - 1) {
    Inner<Op>(a, b, out, shape[dim], sa[dim], sb[dim]);
    return;
  }
  const int64_t innerOut = outStride / shape[dim];
  for (int64_t i = 0; i < shape[dim]; ++i) {
    Walk<Op>(a + i * sa[dim], b + i * sb[dim], out + i * innerOut, dim + 1, rank, shape, sa, sb,
             innerOut);
  }
}

template <typename Op>
void RunBinary(const float* a, const float* b, float* out, int32_t rank, const int64_t* shape,
               const int64_t* sa, const int64_t* sb) {
  if (rank == 0) {
    out[0] = Op::f(a[0], b[0]);
    return;
  }
  int64_t total = 1;
  for (int32_t d = 0; d < rank; ++d) total *= shape[d];
  if (total == 0) return;
  if (total < kParallelMin) {
    Walk<Op>(a, b, out, 0, rank, shape, sa, sb, total);
    return;
  }
  // split the outermost dimension (whole rows, or 64-element runs when there is one dimension)
  const int64_t rowSize = total / shape[0];
  ParallelRange(shape[0], 2, rank == 1 ? kAlign : 1, [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> part(shape, shape + rank);
    part[0] = hi - lo;
    Walk<Op>(a + lo * sa[0], b + lo * sb[0], out + lo * rowSize, 0, rank, part.data(), sa, sb,
             (hi - lo) * rowSize);
  });
}

}  // namespace

void Binary(BinaryOp op, const float* a, const float* b, float* out, int32_t rank,
            const int64_t* shape, const int64_t* aStrides, const int64_t* bStrides) {
  switch (op) {
    case BinaryOp::Add: RunBinary<AddF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::Sub: RunBinary<SubF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::Mul: RunBinary<MulF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::Div: RunBinary<DivF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::Maximum: RunBinary<MaxF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::Minimum: RunBinary<MinF>(a, b, out, rank, shape, aStrides, bStrides); break;
    case BinaryOp::SquaredDifference:
      RunBinary<SqDiffF>(a, b, out, rank, shape, aStrides, bStrides);
      break;
  }
}

namespace {

// Sum of a contiguous run, eight partial sums so that the loop vectorizes without -ffast-math.
inline float SumRun(const float* x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j];
  }
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) s += x[i];
  return s;
}

template <bool kMax>
inline float ExtremeRun(const float* x, int64_t n) {
  float best = x[0];
  for (int64_t i = 1; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) return v;
    if (kMax ? v > best : v < best) best = v;
  }
  return best;
}

}  // namespace

void Reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t reduce,
            int64_t inner) {
  const int64_t outSize = outer * inner;
  if (outSize == 0) return;
  if (reduce == 0) {  // reductions over an empty axis: the identity of each op
    float v = 0.0f;
    if (op == ReduceOp::Max) v = -std::numeric_limits<float>::infinity();
    if (op == ReduceOp::Min) v = std::numeric_limits<float>::infinity();
    if (op == ReduceOp::Mean) v = std::numeric_limits<float>::quiet_NaN();
    std::fill(out, out + outSize, v);
    return;
  }
  const bool isSum = op == ReduceOp::Sum || op == ReduceOp::Mean;
  const float scale = op == ReduceOp::Mean ? 1.0f / static_cast<float>(reduce) : 1.0f;
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = x + o * reduce;
      float v;
      if (isSum) v = SumRun(row, reduce) * scale;
      else if (op == ReduceOp::Max) v = ExtremeRun<true>(row, reduce);
      else v = ExtremeRun<false>(row, reduce);
      out[o] = v;
    }
    return;
  }
  // inner > 1: accumulate whole rows, which vectorizes along `inner`
  for (int64_t o = 0; o < outer; ++o) {
    const float* src = x + o * reduce * inner;
    float* __restrict dst = out + o * inner;
    std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(inner));
    for (int64_t r = 1; r < reduce; ++r) {
      const float* __restrict row = src + r * inner;
      if (isSum) {
        for (int64_t i = 0; i < inner; ++i) dst[i] += row[i];
      } else if (op == ReduceOp::Max) {
        for (int64_t i = 0; i < inner; ++i) {
          const float v = row[i];
          dst[i] = (v > dst[i] || std::isnan(v)) ? v : dst[i];
        }
      } else {
        for (int64_t i = 0; i < inner; ++i) {
          const float v = row[i];
          dst[i] = (v < dst[i] || std::isnan(v)) ? v : dst[i];
        }
      }
    }
    if (op == ReduceOp::Mean) {
      for (int64_t i = 0; i < inner; ++i) dst[i] *= scale;
    }
  }
}

namespace {

void CopyWalk(const uint32_t* src, uint32_t* dst, int32_t dim, int32_t rank, const int64_t* shape,
              const int64_t* ss, const int64_t* ds) {
  const int64_t n = shape[dim];
  if (dim == rank - 1) {
    if (ss[dim] == 1 && ds[dim] == 1) {
      std::memcpy(dst, src, sizeof(uint32_t) * static_cast<size_t>(n));
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i * ds[dim]] = src[i * ss[dim]];
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    CopyWalk(src + i * ss[dim], dst + i * ds[dim], dim + 1, rank, shape, ss, ds);
  }
}

// JavaScript ToInt32: NaN and infinities to 0, truncate, wrap modulo 2^32
inline int32_t ToInt32(float v) {
  if (v > -2147483648.0f && v < 2147483648.0f) return static_cast<int32_t>(v);
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(static_cast<double>(v)), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

}  // namespace

void StridedCopy4(const uint32_t* src, uint32_t* dst, int32_t rank, const int64_t* shape,
                  const int64_t* srcStrides, const int64_t* dstStrides) {
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  for (int32_t d = 0; d < rank; ++d) {
    if (shape[d] == 0) return;
  }
  CopyWalk(src, dst, 0, rank, shape, srcStrides, dstStrides);
}

int64_t Gather4(const uint32_t* x, const int32_t* idx, uint32_t* out, int64_t outer, int64_t n,
                int64_t count, int64_t inner) {
  for (int64_t j = 0; j < count; ++j) {
    if (idx[j] < 0 || idx[j] >= n) return j;
  }
  const size_t row = static_cast<size_t>(inner) * sizeof(uint32_t);
  for (int64_t o = 0; o < outer; ++o) {
    const uint32_t* xo = x + o * n * inner;
    uint32_t* oo = out + o * count * inner;
    for (int64_t j = 0; j < count; ++j) std::memcpy(oo + j * inner, xo + idx[j] * inner, row);
  }
  return -1;
}

void Cast(CastKind kind, const void* x, void* out, int64_t n) {
  switch (kind) {
    case CastKind::Int32ToFloat: {
      const int32_t* __restrict in = static_cast<const int32_t*>(x);
      float* __restrict o = static_cast<float*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(in[i]);
      break;
    }
    case CastKind::BoolToFloat: {
      const uint8_t* __restrict in = static_cast<const uint8_t*>(x);
      float* __restrict o = static_cast<float*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(in[i]);
      break;
    }
    case CastKind::FloatToInt32: {
      const float* __restrict in = static_cast<const float*>(x);
      int32_t* __restrict o = static_cast<int32_t*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = ToInt32(in[i]);
      break;
    }
    case CastKind::FloatToBool: {
      const float* __restrict in = static_cast<const float*>(x);
      uint8_t* __restrict o = static_cast<uint8_t*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = in[i] != 0.0f ? 1 : 0;
      break;
    }
    case CastKind::Int32ToBool: {
      const int32_t* __restrict in = static_cast<const int32_t*>(x);
      uint8_t* __restrict o = static_cast<uint8_t*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = in[i] != 0 ? 1 : 0;
      break;
    }
  }
}

namespace {
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluA = 0.044715f;
}  // namespace

namespace {
void GeluTanhRange(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float t = FastTanh(kGeluC * (v + kGeluA * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
}
}  // namespace

void GeluTanh(const float* x, float* y, int64_t n) {
  ParallelRange(n, kParallelMin, kAlign,
                [&](int64_t b, int64_t e) { GeluTanhRange(x + b, y + b, e - b); });
}

namespace {
void GeluTanhGradRange(const float* __restrict dy, const float* __restrict x,
                       float* __restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float t = FastTanh(kGeluC * (v + kGeluA * v * v * v));
    const float du = kGeluC * (1.0f + 3.0f * kGeluA * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
}
}  // namespace

void GeluTanhGrad(const float* dy, const float* x, float* dx, int64_t n) {
  ParallelRange(n, kParallelMin, kAlign,
                [&](int64_t b, int64_t e) { GeluTanhGradRange(dy + b, x + b, dx + b, e - b); });
}

namespace {
void LayerNormRows(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                   float* rstd, int64_t rows, int64_t d, float eps) {
  const float invD = 1.0f / static_cast<float>(d);
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * d;
    float* __restrict yr = y + r * d;
    const float m = SumRun(xr, d) * invD;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
      for (int j = 0; j < 8; ++j) {
        const float c = xr[i + j] - m;
        acc[j] += c * c;
      }
    }
    float ss = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < d; ++i) ss += (xr[i] - m) * (xr[i] - m);
    const float rs = 1.0f / std::sqrt(ss * invD + eps);
    for (int64_t k = 0; k < d; ++k) yr[k] = (xr[k] - m) * rs * gamma[k] + beta[k];
    mean[r] = m;
    rstd[r] = rs;
  }
}
}  // namespace

// Row-wise kernels split whole rows over the pool: rows are independent.
template <typename F>
void ParallelRows(int64_t rows, int64_t width, F body) {
  ParallelRange(rows, width > 0 ? (kParallelMin + width - 1) / width : rows + 1, 1,
                [&](int64_t b, int64_t e) { body(b, e - b); });
}

void LayerNorm(const float* x, const float* gamma, const float* beta, float* y, float* mean,
               float* rstd, int64_t rows, int64_t d, float eps) {
  ParallelRows(rows, d, [&](int64_t r0, int64_t count) {
    LayerNormRows(x + r0 * d, gamma, beta, y + r0 * d, mean + r0, rstd + r0, count, d, eps);
  });
}

void LayerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean,
                   const float* rstd, float* dx, float* dgamma, float* dbeta, int64_t rows,
                   int64_t d) {
  std::fill(dgamma, dgamma + d, 0.0f);
  std::fill(dbeta, dbeta + d, 0.0f);
  const float invD = 1.0f / static_cast<float>(d);
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict dyr = dy + r * d;
    const float* __restrict xr = x + r * d;
    float* __restrict dxr = dx + r * d;
    const float m = mean[r], rs = rstd[r];
    // sums of dxhat and dxhat * xhat over the row, with dxhat = dy * gamma
    float s1 = 0.0f, s2 = 0.0f;
    for (int64_t k = 0; k < d; ++k) {
      const float xh = (xr[k] - m) * rs;
      const float g = dyr[k] * gamma[k];
      s1 += g;
      s2 += g * xh;
      dgamma[k] += dyr[k] * xh;
      dbeta[k] += dyr[k];
    }
    const float a = s1 * invD, b = s2 * invD;
    for (int64_t k = 0; k < d; ++k) {
      const float xh = (xr[k] - m) * rs;
      dxr[k] = rs * (dyr[k] * gamma[k] - a - xh * b);
    }
  }
}

namespace {
void TokenLogprobsRows(const float* logits, const int32_t* targets, float* lp, float* lse,
                       int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x = logits + r * v;
    const float m = ExtremeRun<true>(x, v);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= v; i += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += FastExp(x[i + j] - m);
    }
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < v; ++i) s += FastExp(x[i] - m);
    const float l = m + std::log(s);
    lse[r] = l;
    const int32_t t = targets[r];
    lp[r] = (t >= 0 && t < v) ? x[t] - l : 0.0f;
  }
}

void EntropyRows(const float* logits, float* h, float* lse, float* mu, int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x = logits + r * v;
    const float m = ExtremeRun<true>(x, v);
    // s = Σ e^(x−m), t = Σ e^(x−m) (x−m): H = log s − t/s, with no cancellation against m
    float sa[8] = {0, 0, 0, 0, 0, 0, 0, 0}, ta[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= v; i += 8) {
      for (int j = 0; j < 8; ++j) {
        const float z = x[i + j] - m;
        const float e = FastExp(z);
        sa[j] += e;
        ta[j] += e * z;
      }
    }
    float s = ((sa[0] + sa[4]) + (sa[1] + sa[5])) + ((sa[2] + sa[6]) + (sa[3] + sa[7]));
    float t = ((ta[0] + ta[4]) + (ta[1] + ta[5])) + ((ta[2] + ta[6]) + (ta[3] + ta[7]));
    for (; i < v; ++i) {
      const float z = x[i] - m;
      const float e = FastExp(z);
      s += e;
      t += e * z;
    }
    const float ls = std::log(s);
    h[r] = ls - t / s;
    lse[r] = m + ls;
    mu[r] = m + t / s;
  }
}

void EntropyGradRows(const float* dh, const float* logits, const float* lse, const float* mu,
                     float* dlogits, int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x = logits + r * v;
    float* __restrict d = dlogits + r * v;
    const float g = dh[r], l = lse[r], u = mu[r];
    for (int64_t k = 0; k < v; ++k) d[k] = -g * FastExp(x[k] - l) * (x[k] - u);
  }
}

void TokenLogprobsGradRows(const float* dlp, const float* logits, const int32_t* targets,
                           const float* lse, float* dlogits, int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x = logits + r * v;
    float* __restrict d = dlogits + r * v;
    const int32_t t = targets[r];
    if (t < 0 || t >= v) {
      std::fill(d, d + v, 0.0f);
      continue;
    }
    const float g = dlp[r], l = lse[r];
    for (int64_t k = 0; k < v; ++k) d[k] = -g * FastExp(x[k] - l);
    d[t] += g;
  }
}
}  // namespace

void TokenLogprobs(const float* logits, const int32_t* targets, float* lp, float* lse, int64_t rows,
                   int64_t v) {
  ParallelRows(rows, v, [&](int64_t r0, int64_t count) {
    TokenLogprobsRows(logits + r0 * v, targets + r0, lp + r0, lse + r0, count, v);
  });
}

void Entropy(const float* logits, float* h, float* lse, float* mu, int64_t rows, int64_t v) {
  ParallelRows(rows, v, [&](int64_t r0, int64_t count) {
    EntropyRows(logits + r0 * v, h + r0, lse + r0, mu + r0, count, v);
  });
}

void EntropyGrad(const float* dh, const float* logits, const float* lse, const float* mu,
                 float* dlogits, int64_t rows, int64_t v) {
  ParallelRows(rows, v, [&](int64_t r0, int64_t count) {
    EntropyGradRows(dh + r0, logits + r0 * v, lse + r0, mu + r0, dlogits + r0 * v, count, v);
  });
}

void TokenLogprobsGrad(const float* dlp, const float* logits, const int32_t* targets,
                       const float* lse, float* dlogits, int64_t rows, int64_t v) {
  ParallelRows(rows, v, [&](int64_t r0, int64_t count) {
    TokenLogprobsGradRows(dlp + r0, logits + r0 * v, targets + r0, lse + r0, dlogits + r0 * v,
                          count, v);
  });
}

namespace {
void AdamRange(const float* __restrict x, const float* __restrict g, const float* __restrict m,
               const float* __restrict v, float* __restrict xOut, float* __restrict mOut,
               float* __restrict vOut, int64_t n, float lr, float b1, float b2, float eps,
               float c1, float c2) {
  const float ob1 = 1.0f - b1, ob2 = 1.0f - b2;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * ob1;
    const float vi = v[i] * b2 + (gi * gi) * ob2;
    mOut[i] = mi;
    vOut[i] = vi;
    xOut[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * -lr + x[i];
  }
}
}  // namespace

void AdamStep(const float* x, const float* g, const float* m, const float* v, float* xOut,
              float* mOut, float* vOut, int64_t n, float lr, float b1, float b2, float eps,
              float c1, float c2) {
  ParallelRange(n, kParallelMin, kAlign, [&](int64_t b, int64_t e) {
    AdamRange(x + b, g + b, m + b, v + b, xOut + b, mOut + b, vOut + b, e - b, lr, b1, b2, eps,
              c1, c2);
  });
}

}  // namespace rlhf
