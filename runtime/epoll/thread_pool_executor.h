// ThreadPoolExecutor: the real world's ExecutorService (asyncio's default ThreadPoolExecutor).
// Threads start lazily, one per queued job with no idle thread, up to max_workers; they stop at
// shutdown(). Completions come back to the loop through call_soon_threadsafe.
#ifndef WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_
#define WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/io/executor_service.h"

namespace weft {

class ThreadPoolExecutor final : public ExecutorService {
 public:
  // min(32, cores + 4), as asyncio.
  static int default_max_workers();

  // ValueError for max_workers <= 0 (ExecutorService::set_max_workers).
  explicit ThreadPoolExecutor(EventLoop& loop, int max_workers = default_max_workers());
  ~ThreadPoolExecutor() override;

  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
              uint64_t job = 0) override;
  void set_max_workers(int n) override;
  size_t max_workers() const override;
  // Joins every worker after the queue drains. Loop thread only.
  void shutdown() override;

 private:
  struct Job {
    absl::AnyInvocable<void()> work;
    absl::AnyInvocable<void()> done;
  };
  void worker();

  EventLoop& loop_;
  // std::mutex and std::condition_variable, not Abseil's: ThreadSanitizer understands pthread
  // locking, and Debian's Abseil is not instrumented. Guarded by mu_: queue_, idle_,
  // max_workers_, shutdown_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  size_t idle_ = 0;
  size_t max_workers_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;  // loop thread only
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_
