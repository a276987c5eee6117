// N-API bindings of the native kernels. Every entry point takes the wasm backend's heap (an
// ArrayBuffer) and byte offsets into it, and checks that each operand lies inside the heap before
// touching it, so that a shape bug on the JS side throws instead of corrupting memory.
#include <cblas.h>
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels.h"

extern "C" {
// OpenBLAS extensions, declared by its cblas.h on most distributions; repeated here so that a
// cblas.h without them still compiles.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
}

namespace {

struct ArgError {
  std::string message;
};

class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t expected) : env_(env) {
    argv_.resize(expected);
    size_t argc = expected;
    napi_get_cb_info(env, info, &argc, argv_.data(), nullptr, nullptr);
    if (argc < expected) {
      throw ArgError{"expected " + std::to_string(expected) + " arguments, got " +
                     std::to_string(argc)};
    }
  }

  // The heap as raw bytes; its length is kept for bounds checks.
  uint8_t* Heap(size_t i) {
    void* data = nullptr;
    size_t length = 0;
    bool isArrayBuffer = false;
    napi_is_arraybuffer(env_, argv_[i], &isArrayBuffer);
    if (!isArrayBuffer) throw ArgError{"argument " + std::to_string(i) + ": heap must be an ArrayBuffer"};
    napi_get_arraybuffer_info(env_, argv_[i], &data, &length);
    heapLength_ = length;
    return static_cast<uint8_t*>(data);
  }

  int64_t Int(size_t i) {
    int64_t v = 0;
    if (napi_get_value_int64(env_, argv_[i], &v) != napi_ok) {
      throw ArgError{"argument " + std::to_string(i) + " must be a number"};
    }
    return v;
  }

  double Double(size_t i) {
    double v = 0;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) {
      throw ArgError{"argument " + std::to_string(i) + " must be a number"};
    }
    return v;
  }

  bool Bool(size_t i) {
    bool v = false;
    if (napi_get_value_bool(env_, argv_[i], &v) != napi_ok) {
      throw ArgError{"argument " + std::to_string(i) + " must be a boolean"};
    }
    return v;
  }

  // An Int32Array, or nullptr for null/undefined.
  const int32_t* Int32s(size_t i, size_t* length) {
    napi_valuetype type;
    napi_typeof(env_, argv_[i], &type);
    if (type == napi_null || type == napi_undefined) {
      *length = 0;
      return nullptr;
    }
    napi_typedarray_type ta;
    void* data = nullptr;
    if (napi_get_typedarray_info(env_, argv_[i], &ta, length, &data, nullptr, nullptr) != napi_ok ||
        ta != napi_int32_array) {
      throw ArgError{"argument " + std::to_string(i) + " must be an Int32Array"};
    }
    return static_cast<const int32_t*>(data);
  }

  // `count` bytes at byte offset `offset` inside the heap.
  uint8_t* Bytes(uint8_t* heap, int64_t offset, int64_t count, const char* what) {
    if (offset < 0 || count < 0 ||
        static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) > heapLength_) {
      throw ArgError{std::string(what) + ": " + std::to_string(count) + " bytes at byte " +
                     std::to_string(offset) + " fall outside the wasm heap (" +
                     std::to_string(heapLength_) + " bytes)"};
    }
    return heap + offset;
  }

  // A float32 operand of `count` elements at byte offset `offset` inside the heap.
  float* Floats(uint8_t* heap, int64_t offset, int64_t count, const char* what) {
    if (offset < 0 || count < 0 || offset % 4 != 0 ||
        static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * 4 > heapLength_) {
      throw ArgError{std::string(what) + ": " + std::to_string(count) + " floats at byte " +
                     std::to_string(offset) + " fall outside the wasm heap (" +
                     std::to_string(heapLength_) + " bytes)"};
    }
    return reinterpret_cast<float*>(heap + offset);
  }

 private:
  napi_env env_;
  std::vector<napi_value> argv_;
  size_t heapLength_ = 0;
};

napi_value Undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

template <typename F>
napi_value Guard(napi_env env, F body) {
  try {
    return body();
  } catch (const ArgError& e) {
    napi_throw_range_error(env, "ERR_RLHF_NATIVE_ARGS", e.message.c_str());
    return nullptr;
  }
}

// batchMatMul(heap, aOff, bOff, cOff, batch, m, n, k, transA, transB, aStride, bStride, aIdx, bIdx)
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 14);
    uint8_t* heap = args.Heap(0);
    const int64_t batch = args.Int(4), m = args.Int(5), n = args.Int(6), k = args.Int(7);
    const bool transA = args.Bool(8), transB = args.Bool(9);
    const int64_t aStride = args.Int(10), bStride = args.Int(11);
    size_t aIdxLen = 0, bIdxLen = 0;
    const int32_t* aIdx = args.Int32s(12, &aIdxLen);
    const int32_t* bIdx = args.Int32s(13, &bIdxLen);
    if ((aIdx && static_cast<int64_t>(aIdxLen) < batch) ||
        (bIdx && static_cast<int64_t>(bIdxLen) < batch)) {
      throw ArgError{"batch index arrays are shorter than the batch"};
    }
    if (batch < 0 || m < 0 || n < 0 || k < 0 || aStride < 0 || bStride < 0) {
      throw ArgError{"negative size"};
    }
    // the largest batch index each operand is read at
    int64_t aMax = 0, bMax = 0;
    for (int64_t i = 0; i < batch; ++i) {
      const int64_t ai = aIdx ? aIdx[i] : i, bi = bIdx ? bIdx[i] : i;
      if (ai < 0 || bi < 0) throw ArgError{"negative batch index"};
      if (ai > aMax) aMax = ai;
      if (bi > bMax) bMax = bi;
    }
    const int64_t aCount = batch == 0 ? 0 : aMax * aStride + m * k;
    const int64_t bCount = batch == 0 ? 0 : bMax * bStride + k * n;
    const float* a = args.Floats(heap, args.Int(1), aCount, "a");
    const float* b = args.Floats(heap, args.Int(2), bCount, "b");
    float* c = args.Floats(heap, args.Int(3), batch * m * n, "out");
    rlhf::BatchMatMul(a, b, c, batch, m, n, k, transA, transB, aStride, bStride, aIdx, bIdx);
    return Undefined(env);
  });
}

// unary(heap, op, xOff, yOff, n)
napi_value Unary(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 5);
    uint8_t* heap = args.Heap(0);
    const int64_t op = args.Int(1), n = args.Int(4);
    if (op < 0 || op >= rlhf::kUnaryOpCount) throw ArgError{"unknown unary op " + std::to_string(op)};
    const float* x = args.Floats(heap, args.Int(2), n, "x");
    float* y = args.Floats(heap, args.Int(3), n, "out");
    rlhf::Unary(static_cast<rlhf::UnaryOp>(op), x, y, n);
    return Undefined(env);
  });
}

// binary(heap, op, aOff, bOff, outOff, shape, aStrides, bStrides): Int32Arrays of equal length
napi_value Binary(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 8);
    uint8_t* heap = args.Heap(0);
    const int64_t op = args.Int(1);
    if (op < 0 || op >= rlhf::kBinaryOpCount) throw ArgError{"unknown binary op " + std::to_string(op)};
    size_t rank = 0, ra = 0, rb = 0;
    const int32_t* shape32 = args.Int32s(5, &rank);
    const int32_t* sa32 = args.Int32s(6, &ra);
    const int32_t* sb32 = args.Int32s(7, &rb);
    if (!shape32 && rank == 0) shape32 = nullptr;
    if (ra != rank || rb != rank) throw ArgError{"shape and strides differ in length"};
    std::vector<int64_t> shape(rank), sa(rank), sb(rank);
    int64_t total = 1, aLast = 0, bLast = 0;
    for (size_t d = 0; d < rank; ++d) {
      shape[d] = shape32[d];
      sa[d] = sa32[d];
      sb[d] = sb32[d];
      if (shape[d] < 0 || sa[d] < 0 || sb[d] < 0) throw ArgError{"negative shape or stride"};
      total *= shape[d];
      if (shape[d] > 0) {
        aLast += (shape[d] - 1) * sa[d];
        bLast += (shape[d] - 1) * sb[d];
      }
    }
    const bool empty = total == 0;
    const float* a = args.Floats(heap, args.Int(2), empty ? 0 : aLast + 1, "a");
    const float* b = args.Floats(heap, args.Int(3), empty ? 0 : bLast + 1, "b");
    float* out = args.Floats(heap, args.Int(4), total, "out");
    rlhf::Binary(static_cast<rlhf::BinaryOp>(op), a, b, out, static_cast<int32_t>(rank),
                 shape.data(), sa.data(), sb.data());
    return Undefined(env);
  });
}

// reduce(heap, op, xOff, outOff, outer, reduce, inner)
napi_value Reduce(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 7);
    uint8_t* heap = args.Heap(0);
    const int64_t op = args.Int(1);
    if (op < 0 || op >= rlhf::kReduceOpCount) throw ArgError{"unknown reduce op " + std::to_string(op)};
    const int64_t outer = args.Int(4), reduce = args.Int(5), inner = args.Int(6);
    if (outer < 0 || reduce < 0 || inner < 0) throw ArgError{"negative size"};
    const float* x = args.Floats(heap, args.Int(2), outer * reduce * inner, "x");
    float* out = args.Floats(heap, args.Int(3), outer * inner, "out");
    rlhf::Reduce(static_cast<rlhf::ReduceOp>(op), x, out, outer, reduce, inner);
    return Undefined(env);
  });
}

// stridedCopy(heap, srcOff, dstOff, shape, srcStrides, dstStrides): Int32Arrays, 4-byte elements
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 6);
    uint8_t* heap = args.Heap(0);
    size_t rank = 0, rs = 0, rd = 0;
    const int32_t* shape32 = args.Int32s(3, &rank);
    const int32_t* ss32 = args.Int32s(4, &rs);
    const int32_t* ds32 = args.Int32s(5, &rd);
    if (rs != rank || rd != rank) throw ArgError{"shape and strides differ in length"};
    std::vector<int64_t> shape(rank), ss(rank), ds(rank);
    int64_t total = 1, sLast = 0, dLast = 0;
    for (size_t d = 0; d < rank; ++d) {
      shape[d] = shape32[d];
      ss[d] = ss32[d];
      ds[d] = ds32[d];
      if (shape[d] < 0 || ss[d] < 0 || ds[d] < 0) throw ArgError{"negative shape or stride"};
      total *= shape[d];
      if (shape[d] > 0) {
        sLast += (shape[d] - 1) * ss[d];
        dLast += (shape[d] - 1) * ds[d];
      }
    }
    const bool empty = total == 0;
    const float* src = args.Floats(heap, args.Int(1), empty ? 0 : sLast + 1, "src");
    float* dst = args.Floats(heap, args.Int(2), empty ? 0 : dLast + 1, "dst");
    rlhf::StridedCopy4(reinterpret_cast<const uint32_t*>(src), reinterpret_cast<uint32_t*>(dst),
                       static_cast<int32_t>(rank), shape.data(), ss.data(), ds.data());
    return Undefined(env);
  });
}

// gather(heap, xOff, idxOff, outOff, outer, n, count, inner) → the position of the first index
// outside [0, n), or -1 once out holds the rows
napi_value Gather(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 8);
    uint8_t* heap = args.Heap(0);
    const int64_t outer = args.Int(4), n = args.Int(5), count = args.Int(6), inner = args.Int(7);
    if (outer < 0 || n < 0 || count < 0 || inner < 0) throw ArgError{"negative size"};
    const float* x = args.Floats(heap, args.Int(1), outer * n * inner, "x");
    const float* idx = args.Floats(heap, args.Int(2), count, "indices");
    float* out = args.Floats(heap, args.Int(3), outer * count * inner, "out");
    const int64_t bad = rlhf::Gather4(reinterpret_cast<const uint32_t*>(x), reinterpret_cast<const int32_t*>(idx),
                                      reinterpret_cast<uint32_t*>(out), outer, n, count, inner);
    napi_value result;
    napi_create_int64(env, bad, &result);
    return result;
  });
}

// cast(heap, kind, xOff, outOff, n)
napi_value Cast(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 5);
    uint8_t* heap = args.Heap(0);
    const int64_t kind = args.Int(1), n = args.Int(4);
    if (kind < 0 || kind >= rlhf::kCastKindCount) throw ArgError{"unknown cast " + std::to_string(kind)};
    const auto k = static_cast<rlhf::CastKind>(kind);
    const int64_t inBytes = k == rlhf::CastKind::BoolToFloat ? 1 : 4;
    const int64_t outBytes = (k == rlhf::CastKind::FloatToBool || k == rlhf::CastKind::Int32ToBool) ? 1 : 4;
    const void* x = args.Bytes(heap, args.Int(2), n * inBytes, "x");
    void* out = args.Bytes(heap, args.Int(3), n * outBytes, "out");
    rlhf::Cast(k, x, out, n);
    return Undefined(env);
  });
}
// gelu(heap, xOff, yOff, n) and geluGrad(heap, dyOff, xOff, dxOff, n)
napi_value Gelu(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 4);
    uint8_t* heap = args.Heap(0);
    const int64_t n = args.Int(3);
    const float* x = args.Floats(heap, args.Int(1), n, "x");
    float* y = args.Floats(heap, args.Int(2), n, "out");
    rlhf::GeluTanh(x, y, n);
    return Undefined(env);
  });
}

napi_value GeluGrad(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 5);
    uint8_t* heap = args.Heap(0);
    const int64_t n = args.Int(4);
    const float* dy = args.Floats(heap, args.Int(1), n, "dy");
    const float* x = args.Floats(heap, args.Int(2), n, "x");
    float* dx = args.Floats(heap, args.Int(3), n, "dx");
    rlhf::GeluTanhGrad(dy, x, dx, n);
    return Undefined(env);
  });
}

// layerNorm(heap, xOff, gammaOff, betaOff, yOff, meanOff, rstdOff, rows, d, eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 10);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(7), d = args.Int(8);
    if (rows < 0 || d < 1) throw ArgError{"layerNorm needs rows >= 0 and d >= 1"};
    const float* x = args.Floats(heap, args.Int(1), rows * d, "x");
    const float* g = args.Floats(heap, args.Int(2), d, "gamma");
    const float* b = args.Floats(heap, args.Int(3), d, "beta");
    float* y = args.Floats(heap, args.Int(4), rows * d, "y");
    float* mean = args.Floats(heap, args.Int(5), rows, "mean");
    float* rstd = args.Floats(heap, args.Int(6), rows, "rstd");
    rlhf::LayerNorm(x, g, b, y, mean, rstd, rows, d, static_cast<float>(args.Double(9)));
    return Undefined(env);
  });
}

// layerNormGrad(heap, dyOff, xOff, gammaOff, meanOff, rstdOff, dxOff, dgammaOff, dbetaOff, rows, d)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 11);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(9), d = args.Int(10);
    if (rows < 0 || d < 1) throw ArgError{"layerNormGrad needs rows >= 0 and d >= 1"};
    const float* dy = args.Floats(heap, args.Int(1), rows * d, "dy");
    const float* x = args.Floats(heap, args.Int(2), rows * d, "x");
    const float* g = args.Floats(heap, args.Int(3), d, "gamma");
    const float* mean = args.Floats(heap, args.Int(4), rows, "mean");
    const float* rstd = args.Floats(heap, args.Int(5), rows, "rstd");
    float* dx = args.Floats(heap, args.Int(6), rows * d, "dx");
    float* dg = args.Floats(heap, args.Int(7), d, "dgamma");
    float* db = args.Floats(heap, args.Int(8), d, "dbeta");
    rlhf::LayerNormGrad(dy, x, g, mean, rstd, dx, dg, db, rows, d);
    return Undefined(env);
  });
}

// tokenLogprobs(heap, logitsOff, targetsOff, lpOff, lseOff, rows, v)
napi_value TokenLogprobs(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 7);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(5), v = args.Int(6);
    if (rows < 0 || v < 1) throw ArgError{"tokenLogprobs needs rows >= 0 and a vocabulary >= 1"};
    const float* logits = args.Floats(heap, args.Int(1), rows * v, "logits");
    const int32_t* targets = reinterpret_cast<const int32_t*>(args.Floats(heap, args.Int(2), rows, "targets"));
    float* lp = args.Floats(heap, args.Int(3), rows, "logprobs");
    float* lse = args.Floats(heap, args.Int(4), rows, "lse");
    rlhf::TokenLogprobs(logits, targets, lp, lse, rows, v);
    return Undefined(env);
  });
}

// entropy(heap, logitsOff, hOff, lseOff, muOff, rows, v)
napi_value Entropy(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 7);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(5), v = args.Int(6);
    if (rows < 0 || v < 1) throw ArgError{"entropy needs rows >= 0 and a vocabulary >= 1"};
    const float* logits = args.Floats(heap, args.Int(1), rows * v, "logits");
    float* h = args.Floats(heap, args.Int(2), rows, "entropy");
    float* lse = args.Floats(heap, args.Int(3), rows, "lse");
    float* mu = args.Floats(heap, args.Int(4), rows, "mu");
    rlhf::Entropy(logits, h, lse, mu, rows, v);
    return Undefined(env);
  });
}

// entropyGrad(heap, dhOff, logitsOff, lseOff, muOff, dlogitsOff, rows, v)
napi_value EntropyGrad(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 8);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(6), v = args.Int(7);
    if (rows < 0 || v < 1) throw ArgError{"entropyGrad needs rows >= 0 and a vocabulary >= 1"};
    const float* dh = args.Floats(heap, args.Int(1), rows, "dentropy");
    const float* logits = args.Floats(heap, args.Int(2), rows * v, "logits");
    const float* lse = args.Floats(heap, args.Int(3), rows, "lse");
    const float* mu = args.Floats(heap, args.Int(4), rows, "mu");
    float* dlogits = args.Floats(heap, args.Int(5), rows * v, "dlogits");
    rlhf::EntropyGrad(dh, logits, lse, mu, dlogits, rows, v);
    return Undefined(env);
  });
}

// tokenLogprobsGrad(heap, dlpOff, logitsOff, targetsOff, lseOff, dlogitsOff, rows, v)
napi_value TokenLogprobsGrad(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 8);
    uint8_t* heap = args.Heap(0);
    const int64_t rows = args.Int(6), v = args.Int(7);
    if (rows < 0 || v < 1) throw ArgError{"tokenLogprobsGrad needs rows >= 0 and a vocabulary >= 1"};
    const float* dlp = args.Floats(heap, args.Int(1), rows, "dlogprobs");
    const float* logits = args.Floats(heap, args.Int(2), rows * v, "logits");
    const int32_t* targets = reinterpret_cast<const int32_t*>(args.Floats(heap, args.Int(3), rows, "targets"));
    const float* lse = args.Floats(heap, args.Int(4), rows, "lse");
    float* dlogits = args.Floats(heap, args.Int(5), rows * v, "dlogits");
    rlhf::TokenLogprobsGrad(dlp, logits, targets, lse, dlogits, rows, v);
    return Undefined(env);
  });
}

// adamStep(heap, xOff, gOff, mOff, vOff, xOutOff, mOutOff, vOutOff, n, lr, b1, b2, eps, c1, c2)
napi_value AdamStep(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 15);
    uint8_t* heap = args.Heap(0);
    const int64_t n = args.Int(8);
    const float* x = args.Floats(heap, args.Int(1), n, "x");
    const float* g = args.Floats(heap, args.Int(2), n, "gradient");
    const float* m = args.Floats(heap, args.Int(3), n, "m");
    const float* v = args.Floats(heap, args.Int(4), n, "v");
    float* xo = args.Floats(heap, args.Int(5), n, "x out");
    float* mo = args.Floats(heap, args.Int(6), n, "m out");
    float* vo = args.Floats(heap, args.Int(7), n, "v out");
    rlhf::AdamStep(x, g, m, v, xo, mo, vo, n, static_cast<float>(args.Double(9)),
                   static_cast<float>(args.Double(10)), static_cast<float>(args.Double(11)),
                   static_cast<float>(args.Double(12)), static_cast<float>(args.Double(13)),
                   static_cast<float>(args.Double(14)));
    return Undefined(env);
  });
}

// setThreads(n): OpenBLAS threads for BatchMatMul
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 1);
    const int64_t n = args.Int(0);
    if (n < 1 || n > 1024) throw ArgError{"threads must be between 1 and 1024"};
    openblas_set_num_threads(static_cast<int>(n));
    return Undefined(env);
  });
}

// info(): { blas, threads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, blas, threads;
  napi_create_object(env, &obj);
  const char* config = openblas_get_config();
  napi_create_string_utf8(env, config ? config : "", NAPI_AUTO_LENGTH, &blas);
  napi_create_int32(env, openblas_get_num_threads(), &threads);
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stridedCopy", nullptr, StridedCopy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cast", nullptr, Cast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluGrad", nullptr, GeluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tokenLogprobs", nullptr, TokenLogprobs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tokenLogprobsGrad", nullptr, TokenLogprobsGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"entropy", nullptr, Entropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"entropyGrad", nullptr, EntropyGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
