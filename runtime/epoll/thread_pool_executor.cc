#include "runtime/epoll/thread_pool_executor.h"

#include <signal.h>

#include <algorithm>

#include "runtime/errors.h"

namespace weft {

int ThreadPoolExecutor::default_max_workers() {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(32, cores + 4);
}

ThreadPoolExecutor::ThreadPoolExecutor(EventLoop& loop, int max_workers) : loop_(loop) {
  check_max_workers(max_workers);
  max_workers_ = static_cast<size_t>(max_workers);
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(); }

void ThreadPoolExecutor::submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
                                uint64_t /*job*/) {
  bool spawn = false;
  {
    std::lock_guard lock(mu_);
    if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
    queue_.push_back(Job{std::move(work), std::move(done)});
    spawn = queue_.size() > idle_ && threads_.size() < max_workers_;
    cv_.notify_one();
  }
  if (spawn) {
    // Workers never take process signals meant for the loop thread (SIGCHLD, SIGINT).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    threads_.emplace_back([this] { worker(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
}

void ThreadPoolExecutor::set_max_workers(int n) {
  check_max_workers(n);
  std::lock_guard lock(mu_);
  max_workers_ = static_cast<size_t>(n);
}

size_t ThreadPoolExecutor::max_workers() const {
  std::lock_guard lock(mu_);
  return max_workers_;
}

void ThreadPoolExecutor::worker() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    cv_.wait(lock, [this] { return !queue_.empty() || shutdown_; });
    --idle_;
    if (queue_.empty()) break;  // shut down and drained
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job.work();
    job.work = nullptr;  // the job's own state dies here, on this thread, before completion
    loop_.call_soon_threadsafe(std::move(job.done));
    lock.lock();
  }
}

void ThreadPoolExecutor::shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace weft
