// A small fixed pool of worker threads for kernels that split their output into independent
// blocks. The caller's thread takes part; ParallelFor returns once every task ran. Tasks must
// write disjoint outputs and must not depend on which thread runs them, so that a result is the
// same bit for bit at any thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace rlhf {

// Threads the kernels may use (the caller's thread included), 1 to 1024. Default 1.
void SetThreadCount(int n);
int ThreadCount();

// Runs task(i) for every i in [0, count), spread over the pool. With one thread, or count <= 1,
// it runs them in order on the caller's thread.
void ParallelFor(int64_t count, const std::function<void(int64_t)>& task);

// Splits [0, n) into at most ThreadCount() ranges whose starts are multiples of `align` and runs
// body(begin, end) on each; runs body(0, n) directly when n is below `minSize`.
void ParallelRange(int64_t n, int64_t minSize, int64_t align,
                   const std::function<void(int64_t, int64_t)>& body);

}  // namespace rlhf
