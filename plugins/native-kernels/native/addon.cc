// N-API bindings of the native kernels. Every entry point takes the wasm backend's heap (an
// ArrayBuffer) and byte offsets into it, and checks that each operand lies inside the heap before
// touching it, so that a shape bug on the JS side throws instead of corrupting memory.
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels.h"
#include "pool.h"

#ifdef RLHF_HAVE_OPENBLAS
extern "C" {
// OpenBLAS extensions, declared by its cblas.h on most distributions; repeated here so that a
// cblas.h without them still compiles.
void openblas_set_num_threads(int num_threads);
char* openblas_get_config(void);
}
#endif

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
    heap_ = static_cast<uint8_t*>(data);
    return heap_;
  }

  int64_t Int(size_t i) { return Value<int64_t, napi_get_value_int64>(i, "a number"); }
  napi_value Raw(size_t i) const { return argv_[i]; }
  double Double(size_t i) { return Value<double, napi_get_value_double>(i, "a number"); }
  bool Bool(size_t i) { return Value<bool, napi_get_value_bool>(i, "a boolean"); }

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

  // The float32 operand of `count` elements whose byte offset into the heap (read by Heap) is
  // argument i.
  float* FloatsAt(size_t i, int64_t count, const char* what) {
    return reinterpret_cast<float*>(Span(Int(i), count, 4, "floats", what));
  }

  // The same for an int32 operand (4-byte elements, checked as floats are).
  int32_t* Int32sAt(size_t i, int64_t count, const char* what) {
    return reinterpret_cast<int32_t*>(FloatsAt(i, count, what));
  }

  // `count` bytes whose byte offset into the heap is argument i.
  uint8_t* BytesAt(size_t i, int64_t count, const char* what) { return Span(Int(i), count, 1, "bytes", what); }

  // The shape and two stride vectors of a strided operation (Int32Arrays of one length, arguments
  // i, i + 1, i + 2), checked; with the element count and, per operand, the element offset of its
  // last element.
  struct Strided {
    std::vector<int64_t> shape, first, second;
    int64_t total = 1, firstLast = 0, secondLast = 0;
    int32_t rank() const { return static_cast<int32_t>(shape.size()); }
    bool empty() const { return total == 0; }
  };

  Strided StridedAt(size_t i) {
    size_t rank = 0, r1 = 0, r2 = 0;
    const int32_t* shape32 = Int32s(i, &rank);
    const int32_t* s1 = Int32s(i + 1, &r1);
    const int32_t* s2 = Int32s(i + 2, &r2);
    if (r1 != rank || r2 != rank) throw ArgError{"shape and strides differ in length"};
    Strided st;
    st.shape.resize(rank);
    st.first.resize(rank);
    st.second.resize(rank);
    for (size_t d = 0; d < rank; ++d) {
      st.shape[d] = shape32[d];
      st.first[d] = s1[d];
      st.second[d] = s2[d];
      if (st.shape[d] < 0 || st.first[d] < 0 || st.second[d] < 0) throw ArgError{"negative shape or stride"};
      st.total *= st.shape[d];
      if (st.shape[d] > 0) {
        st.firstLast += (st.shape[d] - 1) * st.first[d];
        st.secondLast += (st.shape[d] - 1) * st.second[d];
      }
    }
    return st;
  }

 private:
  // Argument i read by the N-API getter `Get`; `kind` names what it must be in the error.
  template <typename T, napi_status (*Get)(napi_env, napi_value, T*)>
  T Value(size_t i, const char* kind) {
    T v{};
    if (Get(env_, argv_[i], &v) != napi_ok) throw ArgError{"argument " + std::to_string(i) + " must be " + kind};
    return v;
  }

  // `count` elements of `size` bytes at byte offset `offset` (a multiple of `size`) inside the heap.
  uint8_t* Span(int64_t offset, int64_t count, int64_t size, const char* unit, const char* what) {
    if (offset < 0 || count < 0 || offset % size != 0 ||
        static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * static_cast<uint64_t>(size) > heapLength_) {
      throw ArgError{std::string(what) + ": " + std::to_string(count) + " " + unit + " at byte " +
                     std::to_string(offset) + " fall outside the wasm heap (" +
                     std::to_string(heapLength_) + " bytes)"};
    }
    return heap_ + offset;
  }

  napi_env env_;
  std::vector<napi_value> argv_;
  uint8_t* heap_ = nullptr;
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

// The entry point of a kernel that writes into the heap and returns undefined: `argc` arguments,
// the heap first; `body(args)` unpacks the rest and runs the kernel.
template <typename F>
napi_value HeapKernel(napi_env env, napi_callback_info info, size_t argc, F body) {
  return Guard(env, [&]() {
    Args args(env, info, argc);
    args.Heap(0);
    body(args);
    return Undefined(env);
  });
}

// Kernels over `rows` rows of `width` numbers need rows >= 0 and width >= 1.
void CheckRows(int64_t rows, int64_t width, const char* kernel, const char* widthName) {
  if (rows < 0 || width < 1) {
    throw ArgError{std::string(kernel) + " needs rows >= 0 and " + widthName + " >= 1"};
  }
}

// batchMatMul(heap, aOff, bOff, cOff, batch, m, n, k, transA, transB, aStride, bStride, aIdx, bIdx)
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 14, [](Args& args) {
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
    const float* a = args.FloatsAt(1, aCount, "a");
    const float* b = args.FloatsAt(2, bCount, "b");
    float* c = args.FloatsAt(3, batch * m * n, "out");
    rlhf::BatchMatMul(a, b, c, batch, m, n, k, transA, transB, aStride, bStride, aIdx, bIdx);
  });
}

// unary(heap, op, xOff, yOff, n)
napi_value Unary(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 5, [](Args& args) {
    const int64_t op = args.Int(1), n = args.Int(4);
    if (op < 0 || op >= rlhf::kUnaryOpCount) throw ArgError{"unknown unary op " + std::to_string(op)};
    const float* x = args.FloatsAt(2, n, "x");
    float* y = args.FloatsAt(3, n, "out");
    rlhf::Unary(static_cast<rlhf::UnaryOp>(op), x, y, n);
  });
}

// binary(heap, op, aOff, bOff, outOff, shape, aStrides, bStrides): Int32Arrays of equal length
napi_value Binary(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 8, [](Args& args) {
    const int64_t op = args.Int(1);
    if (op < 0 || op >= rlhf::kBinaryOpCount) throw ArgError{"unknown binary op " + std::to_string(op)};
    const Args::Strided st = args.StridedAt(5);
    const float* a = args.FloatsAt(2, st.empty() ? 0 : st.firstLast + 1, "a");
    const float* b = args.FloatsAt(3, st.empty() ? 0 : st.secondLast + 1, "b");
    float* out = args.FloatsAt(4, st.total, "out");
    rlhf::Binary(static_cast<rlhf::BinaryOp>(op), a, b, out, st.rank(), st.shape.data(), st.first.data(),
                 st.second.data());
  });
}

// reduce(heap, op, xOff, outOff, outer, reduce, inner)
napi_value Reduce(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 7, [](Args& args) {
    const int64_t op = args.Int(1);
    if (op < 0 || op >= rlhf::kReduceOpCount) throw ArgError{"unknown reduce op " + std::to_string(op)};
    const int64_t outer = args.Int(4), reduce = args.Int(5), inner = args.Int(6);
    if (outer < 0 || reduce < 0 || inner < 0) throw ArgError{"negative size"};
    const float* x = args.FloatsAt(2, outer * reduce * inner, "x");
    float* out = args.FloatsAt(3, outer * inner, "out");
    rlhf::Reduce(static_cast<rlhf::ReduceOp>(op), x, out, outer, reduce, inner);
  });
}

// stridedCopy(heap, srcOff, dstOff, shape, srcStrides, dstStrides): Int32Arrays, 4-byte elements
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 6, [](Args& args) {
    const Args::Strided st = args.StridedAt(3);
    const float* src = args.FloatsAt(1, st.empty() ? 0 : st.firstLast + 1, "src");
    float* dst = args.FloatsAt(2, st.empty() ? 0 : st.secondLast + 1, "dst");
    rlhf::StridedCopy4(reinterpret_cast<const uint32_t*>(src), reinterpret_cast<uint32_t*>(dst), st.rank(),
                       st.shape.data(), st.first.data(), st.second.data());
  });
}

// gather(heap, xOff, idxOff, outOff, outer, n, count, inner) → the position of the first index
// outside [0, n), or -1 once out holds the rows
napi_value Gather(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 8);
    args.Heap(0);
    const int64_t outer = args.Int(4), n = args.Int(5), count = args.Int(6), inner = args.Int(7);
    if (outer < 0 || n < 0 || count < 0 || inner < 0) throw ArgError{"negative size"};
    const float* x = args.FloatsAt(1, outer * n * inner, "x");
    const int32_t* idx = args.Int32sAt(2, count, "indices");
    float* out = args.FloatsAt(3, outer * count * inner, "out");
    const int64_t bad = rlhf::Gather4(reinterpret_cast<const uint32_t*>(x), idx, reinterpret_cast<uint32_t*>(out),
                                      outer, n, count, inner);
    napi_value result;
    napi_create_int64(env, bad, &result);
    return result;
  });
}

// cast(heap, kind, xOff, outOff, n)
napi_value Cast(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 5, [](Args& args) {
    const int64_t kind = args.Int(1), n = args.Int(4);
    if (kind < 0 || kind >= rlhf::kCastKindCount) throw ArgError{"unknown cast " + std::to_string(kind)};
    const auto k = static_cast<rlhf::CastKind>(kind);
    const int64_t inBytes = k == rlhf::CastKind::BoolToFloat ? 1 : 4;
    const int64_t outBytes = (k == rlhf::CastKind::FloatToBool || k == rlhf::CastKind::Int32ToBool) ? 1 : 4;
    const void* x = args.BytesAt(2, n * inBytes, "x");
    void* out = args.BytesAt(3, n * outBytes, "out");
    rlhf::Cast(k, x, out, n);
  });
}

// gelu(heap, xOff, yOff, n) and geluGrad(heap, dyOff, xOff, dxOff, n)
napi_value Gelu(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 4, [](Args& args) {
    const int64_t n = args.Int(3);
    const float* x = args.FloatsAt(1, n, "x");
    float* y = args.FloatsAt(2, n, "out");
    rlhf::GeluTanh(x, y, n);
  });
}

napi_value GeluGrad(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 5, [](Args& args) {
    const int64_t n = args.Int(4);
    const float* dy = args.FloatsAt(1, n, "dy");
    const float* x = args.FloatsAt(2, n, "x");
    float* dx = args.FloatsAt(3, n, "dx");
    rlhf::GeluTanhGrad(dy, x, dx, n);
  });
}

// layerNorm(heap, xOff, gammaOff, betaOff, yOff, meanOff, rstdOff, rows, d, eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 10, [](Args& args) {
    const int64_t rows = args.Int(7), d = args.Int(8);
    CheckRows(rows, d, "layerNorm", "d");
    const float* x = args.FloatsAt(1, rows * d, "x");
    const float* g = args.FloatsAt(2, d, "gamma");
    const float* b = args.FloatsAt(3, d, "beta");
    float* y = args.FloatsAt(4, rows * d, "y");
    float* mean = args.FloatsAt(5, rows, "mean");
    float* rstd = args.FloatsAt(6, rows, "rstd");
    rlhf::LayerNorm(x, g, b, y, mean, rstd, rows, d, static_cast<float>(args.Double(9)));
  });
}

// layerNormGrad(heap, dyOff, xOff, gammaOff, meanOff, rstdOff, dxOff, dgammaOff, dbetaOff, rows, d)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 11, [](Args& args) {
    const int64_t rows = args.Int(9), d = args.Int(10);
    CheckRows(rows, d, "layerNormGrad", "d");
    const float* dy = args.FloatsAt(1, rows * d, "dy");
    const float* x = args.FloatsAt(2, rows * d, "x");
    const float* g = args.FloatsAt(3, d, "gamma");
    const float* mean = args.FloatsAt(4, rows, "mean");
    const float* rstd = args.FloatsAt(5, rows, "rstd");
    float* dx = args.FloatsAt(6, rows * d, "dx");
    float* dg = args.FloatsAt(7, d, "dgamma");
    float* db = args.FloatsAt(8, d, "dbeta");
    rlhf::LayerNormGrad(dy, x, g, mean, rstd, dx, dg, db, rows, d);
  });
}

// tokenLogprobs(heap, logitsOff, targetsOff, lpOff, lseOff, rows, v)
napi_value TokenLogprobs(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 7, [](Args& args) {
    const int64_t rows = args.Int(5), v = args.Int(6);
    CheckRows(rows, v, "tokenLogprobs", "a vocabulary");
    const float* logits = args.FloatsAt(1, rows * v, "logits");
    const int32_t* targets = args.Int32sAt(2, rows, "targets");
    float* lp = args.FloatsAt(3, rows, "logprobs");
    float* lse = args.FloatsAt(4, rows, "lse");
    rlhf::TokenLogprobs(logits, targets, lp, lse, rows, v);
  });
}

// entropy(heap, logitsOff, hOff, lseOff, muOff, rows, v)
napi_value Entropy(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 7, [](Args& args) {
    const int64_t rows = args.Int(5), v = args.Int(6);
    CheckRows(rows, v, "entropy", "a vocabulary");
    const float* logits = args.FloatsAt(1, rows * v, "logits");
    float* h = args.FloatsAt(2, rows, "entropy");
    float* lse = args.FloatsAt(3, rows, "lse");
    float* mu = args.FloatsAt(4, rows, "mu");
    rlhf::Entropy(logits, h, lse, mu, rows, v);
  });
}

// entropyGrad(heap, dhOff, logitsOff, lseOff, muOff, dlogitsOff, rows, v)
napi_value EntropyGrad(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 8, [](Args& args) {
    const int64_t rows = args.Int(6), v = args.Int(7);
    CheckRows(rows, v, "entropyGrad", "a vocabulary");
    const float* dh = args.FloatsAt(1, rows, "dentropy");
    const float* logits = args.FloatsAt(2, rows * v, "logits");
    const float* lse = args.FloatsAt(3, rows, "lse");
    const float* mu = args.FloatsAt(4, rows, "mu");
    float* dlogits = args.FloatsAt(5, rows * v, "dlogits");
    rlhf::EntropyGrad(dh, logits, lse, mu, dlogits, rows, v);
  });
}

// tokenLogprobsGrad(heap, dlpOff, logitsOff, targetsOff, lseOff, dlogitsOff, rows, v)
napi_value TokenLogprobsGrad(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 8, [](Args& args) {
    const int64_t rows = args.Int(6), v = args.Int(7);
    CheckRows(rows, v, "tokenLogprobsGrad", "a vocabulary");
    const float* dlp = args.FloatsAt(1, rows, "dlogprobs");
    const float* logits = args.FloatsAt(2, rows * v, "logits");
    const int32_t* targets = args.Int32sAt(3, rows, "targets");
    const float* lse = args.FloatsAt(4, rows, "lse");
    float* dlogits = args.FloatsAt(5, rows * v, "dlogits");
    rlhf::TokenLogprobsGrad(dlp, logits, targets, lse, dlogits, rows, v);
  });
}

// adamStep(heap, xOff, gOff, mOff, vOff, xOutOff, mOutOff, vOutOff, n, lr, b1, b2, eps, c1, c2)
napi_value AdamStep(napi_env env, napi_callback_info info) {
  return HeapKernel(env, info, 15, [](Args& args) {
    const int64_t n = args.Int(8);
    const float* x = args.FloatsAt(1, n, "x");
    const float* g = args.FloatsAt(2, n, "gradient");
    const float* m = args.FloatsAt(3, n, "m");
    const float* v = args.FloatsAt(4, n, "v");
    float* xo = args.FloatsAt(5, n, "x out");
    float* mo = args.FloatsAt(6, n, "m out");
    float* vo = args.FloatsAt(7, n, "v out");
    rlhf::AdamStep(x, g, m, v, xo, mo, vo, n, static_cast<float>(args.Double(9)),
                   static_cast<float>(args.Double(10)), static_cast<float>(args.Double(11)),
                   static_cast<float>(args.Double(12)), static_cast<float>(args.Double(13)),
                   static_cast<float>(args.Double(14)));
  });
}

// setThreads(n): threads of the kernels' pool (BatchMatMul, elementwise and row-wise kernels).
// OpenBLAS itself always runs on one thread: the pool splits its products by output rows.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 1);
    const int64_t n = args.Int(0);
    if (n < 1 || n > 1024) throw ArgError{"threads must be between 1 and 1024"};
#ifdef RLHF_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
    rlhf::SetThreadCount(static_cast<int>(n));
    return Undefined(env);
  });
}

constexpr rlhf::GemmKind kGemmKinds[] = {rlhf::GemmKind::OpenBlas, rlhf::GemmKind::OwnScalar,
                                         rlhf::GemmKind::OwnAvx2, rlhf::GemmKind::OwnNeon};

// setGemm(name): the GEMM behind batchMatMul, one of info().gemms.
napi_value SetGemm(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() {
    Args args(env, info, 1);
    char name[32] = {0};
    size_t length = 0;
    napi_get_value_string_utf8(env, args.Raw(0), name, sizeof(name), &length);
    for (rlhf::GemmKind kind : kGemmKinds) {
      if (std::string(name) == rlhf::GemmName(kind)) {
        if (!rlhf::SetGemm(kind)) throw ArgError{std::string("GEMM ") + name + " is not available in this build or on this CPU"};
        return Undefined(env);
      }
    }
    throw ArgError{std::string("unknown GEMM \"") + name + "\""};
  });
}

// info(): { blas, threads, gemm, gemms }: the OpenBLAS build ("" when not linked), the pool's
// threads, the GEMM in use and every GEMM this build and CPU can run.
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, blas, threads, gemm, gemms;
  napi_create_object(env, &obj);
#ifdef RLHF_HAVE_OPENBLAS
  const char* config = openblas_get_config();
#else
  const char* config = nullptr;
#endif
  napi_create_string_utf8(env, config ? config : "", NAPI_AUTO_LENGTH, &blas);
  napi_create_int32(env, rlhf::ThreadCount(), &threads);
  napi_create_string_utf8(env, rlhf::GemmName(rlhf::CurrentGemm()), NAPI_AUTO_LENGTH, &gemm);
  napi_create_array(env, &gemms);
  uint32_t count = 0;
  for (rlhf::GemmKind kind : kGemmKinds) {
    if (!rlhf::GemmAvailable(kind)) continue;
    napi_value name;
    napi_create_string_utf8(env, rlhf::GemmName(kind), NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, gemms, count++, name);
  }
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "gemm", gemm);
  napi_set_named_property(env, obj, "gemms", gemms);
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
      {"setGemm", nullptr, SetGemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
