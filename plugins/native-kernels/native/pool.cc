#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace rlhf {

namespace {

// Workers wait on `wake` for a new generation of work, then take task indices from `next` until
// none is left. The pool is never destroyed: its threads stay parked until the process exits.
class Pool {
 public:
  void Resize(int n) {
    std::lock_guard<std::mutex> run(runMutex_);
    wanted_ = n;
    while (static_cast<int>(workers_.size()) < n - 1) {
      workers_.emplace_back([this, id = static_cast<int>(workers_.size())] { Loop(id); });
      workers_.back().detach();
    }
  }

  int Size() const { return wanted_; }

  void Run(int64_t count, const std::function<void(int64_t)>& task) {
    std::lock_guard<std::mutex> run(runMutex_);  // one parallel region at a time
    const int helpers = static_cast<int>(std::min<int64_t>(wanted_ - 1, count - 1));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      count_ = count;
      next_.store(0);
      active_ = helpers;
      helpers_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    Drain();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_ == 0; });
    task_ = nullptr;
  }

 private:
  void Drain() {
    for (;;) {
      const int64_t i = next_.fetch_add(1);
      if (i >= count_) return;
      (*task_)(i);
    }
  }

  void Loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (id >= helpers_) continue;  // not needed for this region
      }
      Drain();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_one();
    }
  }

  std::mutex runMutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  int active_ = 0, helpers_ = 0, wanted_ = 1;
  uint64_t generation_ = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // leaked on purpose: parked threads must not be joined at exit
  return *pool;
}

}  // namespace

void SetThreadCount(int n) { ThePool().Resize(std::max(1, std::min(n, 1024))); }

int ThreadCount() { return ThePool().Size(); }

void ParallelFor(int64_t count, const std::function<void(int64_t)>& task) {
  if (count <= 0) return;
  if (count == 1 || ThreadCount() == 1) {
    for (int64_t i = 0; i < count; ++i) task(i);
    return;
  }
  ThePool().Run(count, task);
}

void ParallelRange(int64_t n, int64_t minSize, int64_t align,
                   const std::function<void(int64_t, int64_t)>& body) {
  const int threads = ThreadCount();
  if (threads == 1 || n < minSize) {
    if (n > 0) body(0, n);
    return;
  }
  const int64_t units = (n + align - 1) / align;
  const int64_t parts = std::min<int64_t>(threads, units);
  const int64_t per = (units + parts - 1) / parts;
  ParallelFor(parts, [&](int64_t p) {
    const int64_t begin = p * per * align;
    const int64_t end = std::min(n, (p + 1) * per * align);
    if (begin < end) body(begin, end);
  });
}

}  // namespace rlhf
