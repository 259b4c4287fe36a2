// weft::ExecutorService: the world's default executor (asyncio's ThreadPoolExecutor). The real
// world runs jobs on a thread pool; the simulated world runs them on the loop thread and completes
// them at a chosen virtual time. Users call run_in_executor / to_thread (runtime/io/executor.h).
#ifndef WEFT_RUNTIME_IO_EXECUTOR_SERVICE_H_
#define WEFT_RUNTIME_IO_EXECUTOR_SERVICE_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "runtime/errors.h"

namespace weft {

class ExecutorService {
 public:
  virtual ~ExecutorService() = default;
  // Runs `work` off the loop (on any thread), then `done` on the loop thread. `work` must not
  // touch loop-owned state (futures, tasks); `done` may. Both closures are only ever moved, never
  // copied, so loop-owned references inside `done` are not counted on another thread. `done` is
  // dropped unrun if the loop closes first. Throws RuntimeError after shutdown(). `job`: the
  // job's loop-issued resource id (run_in_executor passes its future's), which the callbacks a
  // world schedules for the job carry where it can (the simulated start and completion; the
  // real pool's completion crosses threads through call_soon_threadsafe and carries 0); 0: the
  // executor issues one.
  virtual void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
                      uint64_t job = 0) = 0;
  // The most jobs that run at once (asyncio's default: min(32, cores + 4)). ValueError("max_workers
  // must be greater than 0") for n <= 0, as concurrent.futures; signed, so -1 is refused too.
  virtual void set_max_workers(int n) = 0;
  virtual size_t max_workers() const = 0;
  // Waits for every submitted job to finish; later submits throw RuntimeError.
  virtual void shutdown() = 0;

  // set_max_workers' argument check, for implementations.
  static void check_max_workers(int n) {
    if (n <= 0) throw ValueError("max_workers must be greater than 0");
  }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_EXECUTOR_SERVICE_H_
