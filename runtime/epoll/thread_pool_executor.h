// ThreadPoolExecutor: the real world's ExecutorService (asyncio's default ThreadPoolExecutor).
// Threads start lazily, one per queued job with no idle thread, up to max_workers; they stop at
// shutdown(). Completions come back to the loop through call_soon_threadsafe.
#ifndef WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_
#define WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
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

  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done) override;
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
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  size_t max_workers_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // loop thread only
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_THREAD_POOL_EXECUTOR_H_
