// weft::sim::SimExecutor: the simulated world's default executor (run_in_executor / to_thread).
// There are no threads: a job's function runs on the loop thread, in one piece, at the job's
// start point; its completion reaches the loop later. Both times are choices
// (ChoiceKind::kExecutor), so the order of the functions' side effects, and the order in which
// their results arrive, vary with the seed. At most max_workers() jobs hold a worker at once;
// the others wait in FIFO order for a free one.
//
//   submit ─► queue ─► a worker is free: the job takes it
//                      ─► start = now + choose(kExecutor, start_steps) * start_step_ns
//   at start:          work() runs: its side effects commit now, awaited or not
//                      ─► completion = start + base_ns + choose(kExecutor, steps) * step_ns
//   at completion:     done() (the result reaches the future) ─► the worker takes the next job
//
// As with a thread pool, a run_in_executor cancelled before its job starts is skipped, and one
// cancelled later still runs to the end with its result dropped — so "wait_for timed out but
// the work committed" happens here too, on the seeds that start the job before the deadline
// and complete it after. weft: differs from ThreadPoolExecutor where the single thread forces
// it: a function runs atomically (no loop callback interleaves with it), and shutdown() cannot
// block: it runs at once the function of every job not yet started (those holding a worker in
// the order of their next event, then the queued ones in FIFO order) and schedules every
// outstanding `done`.
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

// When a job starts and how long it runs. Choice 0 everywhere: it starts as soon as a worker is
// free and completes at once. Signed fields, so a negative count is refused by set_timing()
// instead of wrapping.
struct ExecutorTiming {
  // Run time, from start to completion: base_ns + choose(kExecutor, steps) * step_ns.
  int64_t base_ns = 0;
  int64_t step_ns = 1'000'000;
  int64_t steps = 10;
  // Start delay once a worker is free (a thread's pickup latency):
  // choose(kExecutor, start_steps) * start_step_ns; start_steps = 1 starts at once.
  int64_t start_step_ns = 1'000'000;
  int64_t start_steps = 3;
};

class SimExecutor final : public ExecutorService {
 public:
  // Fixed, so runs do not depend on the machine: asyncio's default on a 2-core machine.
  static constexpr size_t kDefaultMaxWorkers = 6;

  explicit SimExecutor(SimLoop& loop);
  ~SimExecutor() override;

  // Throws RuntimeError after shutdown() (or once the loop is closed).
  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
              uint64_t job = 0) override;
  // ValueError for n <= 0; raising it starts queued jobs at once.
  void set_max_workers(int n) override;
  size_t max_workers() const override { return max_workers_; }
  void shutdown() override;

  // ValueError when a duration is negative, a count is below 1, or the longest start delay
  // plus run time would not fit the virtual clock. Applies to jobs that take a worker later.
  void set_timing(ExecutorTiming timing);
  const ExecutorTiming& timing() const { return timing_; }

  // Jobs holding a worker (started or about to start) / waiting for one.
  size_t running() const { return running_.size(); }
  size_t queued() const { return queue_.size(); }
  uint64_t completed() const { return completed_; }
  bool is_shutdown() const { return shutdown_; }

 private:
  struct Job {
    uint64_t id = 0;
    absl::AnyInvocable<void()> work;
    absl::AnyInvocable<void()> done;
    TimerHandle timer;  // the start, then the completion
    bool started = false;
  };
  void start_jobs();
  void start(uint64_t id);
  void finish(uint64_t id);
  void run_work(Job& job);

  SimLoop& loop_;
  size_t max_workers_ = kDefaultMaxWorkers;
  ExecutorTiming timing_;
  std::deque<Job> queue_;
  std::map<uint64_t, Job> running_;
  uint64_t completed_ = 0;
  bool shutdown_ = false;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_SIM_EXECUTOR_H_
