#include "sim/proc/sim_executor.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "sim/sim_loop.h"

namespace weft::sim {

SimExecutor::SimExecutor(SimLoop& loop) : loop_(loop) {}

// Jobs still pending when the loop is destroyed are dropped: their timers went with close().
SimExecutor::~SimExecutor() = default;

void SimExecutor::submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
                         uint64_t job_id) {
  if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
  if (loop_.is_closed()) throw RuntimeError("Event loop is closed");
  Job job;
  // A loop-issued resource id (submit order: ids only grow, so the order of jobs by id is that
  // of their submission), carried by the job's start and completion.
  job.id = job_id != 0 ? job_id : loop_.next_resource_id();
  job.work = std::move(work);
  job.done = std::move(done);
  queue_.push_back(std::move(job));
  start_jobs();
}

void SimExecutor::set_max_workers(int n) {
  check_max_workers(n);
  max_workers_ = static_cast<size_t>(n);
  start_jobs();
}

void SimExecutor::set_timing(ExecutorTiming timing) {
  if (timing.base_ns < 0 || timing.step_ns < 0 || timing.steps < 1 || timing.start_step_ns < 0 ||
      timing.start_steps < 1) {
    throw ValueError(absl::StrCat(
        "ExecutorTiming: durations must be >= 0 and counts >= 1, got base_ns=", timing.base_ns,
        " step_ns=", timing.step_ns, " steps=", timing.steps,
        " start_step_ns=", timing.start_step_ns, " start_steps=", timing.start_steps));
  }
  // The longest start delay plus run time must not overflow the virtual clock.
  int64_t run_span = 0;
  int64_t start_span = 0;
  int64_t longest = 0;
  if (__builtin_mul_overflow(timing.steps - 1, timing.step_ns, &run_span) ||
      __builtin_mul_overflow(timing.start_steps - 1, timing.start_step_ns, &start_span) ||
      __builtin_add_overflow(timing.base_ns, run_span, &longest) ||
      __builtin_add_overflow(longest, start_span, &longest) || longest > INT64_MAX / 4) {
    throw ValueError(absl::StrCat(
        "ExecutorTiming: the longest start delay plus run time is too long (base_ns=",
        timing.base_ns, " step_ns=", timing.step_ns, " steps=", timing.steps,
        " start_step_ns=", timing.start_step_ns, " start_steps=", timing.start_steps, ")"));
  }
  timing_ = timing;
}

void SimExecutor::start_jobs() {
  while (!queue_.empty() && running_.size() < max_workers_ && !loop_.is_closed()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    const uint64_t c =
        loop_.choose(ChoiceKind::kExecutor, static_cast<uint64_t>(timing_.start_steps));
    const int64_t delay = static_cast<int64_t>(c) * timing_.start_step_ns;
    const uint64_t id = job.id;
    job.timer = loop_.call_at_ns_for(id, loop_.time_ns() + delay, [this, id] { start(id); });
    running_.emplace(id, std::move(job));
  }
}

void SimExecutor::start(uint64_t id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  run_work(it->second);
  // The function may have called back into the executor (shutdown() ends every job): look
  // the job up again rather than keep a reference across user code.
  it = running_.find(id);
  if (it == running_.end()) return;
  const uint64_t c = loop_.choose(ChoiceKind::kExecutor, static_cast<uint64_t>(timing_.steps));
  const int64_t run_time = timing_.base_ns + static_cast<int64_t>(c) * timing_.step_ns;
  it->second.timer =
      loop_.call_at_ns_for(id, loop_.time_ns() + run_time, [this, id] { finish(id); });
}

void SimExecutor::run_work(Job& job) {
  job.started = true;
  // Moved out first: the job's own state dies when the function ends, before its completion
  // is delivered, as a worker thread drops it.
  absl::AnyInvocable<void()> work = std::move(job.work);
  try {
    if (work) work();
  } catch (...) {
    // run_in_executor's work never throws (it hands errors to `done`); a raw submit's error
    // has nobody else to go to.
    if (!loop_.is_closed()) {
      loop_.call_exception_handler(
          {"exception in a simulated executor job", std::current_exception(), {}});
    }
  }
}

void SimExecutor::finish(uint64_t id) {
  auto node = running_.extract(id);
  if (node.empty()) return;
  absl::AnyInvocable<void()> done = std::move(node.mapped().done);
  ++completed_;
  // The worker is free before the result is delivered, so `done` sees a consistent executor.
  start_jobs();
  if (done && !loop_.is_closed()) done();
}

void SimExecutor::shutdown() {
  if (shutdown_) return;
  shutdown_ = true;
  // Nothing can block here: end every outstanding job now, in the order its next event would
  // have come (a start before a later completion), then the queued ones in FIFO order.
  std::vector<std::tuple<int64_t, uint64_t>> order;
  for (auto& [id, job] : running_) order.emplace_back(job.timer.when_ns(), id);
  std::sort(order.begin(), order.end());
  for (auto& [when, id] : order) {
    auto it = running_.find(id);
    if (it == running_.end()) continue;
    it->second.timer.cancel();
    if (!it->second.started) run_work(it->second);
    auto node = running_.extract(id);
    if (node.empty()) continue;
    ++completed_;
    if (!loop_.is_closed()) loop_.call_soon_for(id, std::move(node.mapped().done));
  }
  while (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    run_work(job);
    ++completed_;
    if (!loop_.is_closed()) loop_.call_soon_for(job.id, std::move(job.done));
  }
}

}  // namespace weft::sim
