// weft::sim::SimExecutor: the simulated world's default executor (run_in_executor / to_thread).
// There are no threads: a job's function runs on the loop thread, at the virtual time its job
// completes, and that time is a choice (ChoiceKind::kExecutor), so the completion order — and the
// order of the functions' side effects — of concurrent jobs varies with the seed. At most
// max_workers() jobs are "running" at once; the others wait in FIFO order for a free worker.
//
//   submit ─► queue ─► free worker: delay = base + choose(kExecutor, steps) * step
//                                   ─► at start + delay: work() ─► call_soon(done) ─► next job
//
// weft: differs from ThreadPoolExecutor in two ways the single thread forces. A job runs its
// function at its completion time, so a run_in_executor cancelled while "running" is skipped
// (a thread would finish it). shutdown() cannot block: it runs the function of every job not yet
// completed at once (in completion-time, then FIFO order) and schedules their `done`s.
#ifndef WEFT_SIM_PROC_SIM_EXECUTOR_H_
#define WEFT_SIM_PROC_SIM_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>

#include "absl/functional/any_invocable.h"
#include "runtime/handle.h"
#include "runtime/io/executor_service.h"

namespace weft::sim {

class SimLoop;

// How long a job takes: base_ns + choose(kExecutor, steps) * step_ns (choice 0: base_ns).
// Signed fields, so a negative count is refused by set_timing() instead of wrapping.
struct ExecutorTiming {
  int64_t base_ns = 0;
  int64_t step_ns = 1'000'000;
  int64_t steps = 10;
};

class SimExecutor final : public ExecutorService {
 public:
  // Fixed, so runs do not depend on the machine: asyncio's default on a 2-core machine.
  static constexpr size_t kDefaultMaxWorkers = 6;

  explicit SimExecutor(SimLoop& loop);
  ~SimExecutor() override;

  // Throws RuntimeError after shutdown() (or once the loop is closed).
  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done) override;
  // ValueError for n <= 0; raising it starts queued jobs at once.
  void set_max_workers(int n) override;
  size_t max_workers() const override { return max_workers_; }
  void shutdown() override;

  // ValueError when base_ns or step_ns is negative, steps < 1, or the longest delay would not
  // fit in int64 nanoseconds. Applies to jobs started later.
  void set_timing(ExecutorTiming timing);
  const ExecutorTiming& timing() const { return timing_; }

  size_t running() const { return running_.size(); }
  size_t queued() const { return queue_.size(); }
  uint64_t completed() const { return completed_; }
  bool is_shutdown() const { return shutdown_; }

 private:
  struct Job {
    uint64_t id = 0;
    absl::AnyInvocable<void()> work;
    absl::AnyInvocable<void()> done;
    TimerHandle timer;
  };
  void start_jobs();
  void finish(uint64_t id);
  void complete(Job& job);

  SimLoop& loop_;
  size_t max_workers_ = kDefaultMaxWorkers;
  ExecutorTiming timing_;
  std::deque<Job> queue_;
  std::map<uint64_t, Job> running_;
  uint64_t next_id_ = 0;
  uint64_t completed_ = 0;
  bool shutdown_ = false;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_SIM_EXECUTOR_H_
