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

void SimExecutor::submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done) {
  if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
  if (loop_.is_closed()) throw RuntimeError("Event loop is closed");
  Job job;
  job.id = ++next_id_;
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
  if (timing.base_ns < 0 || timing.step_ns < 0 || timing.steps < 1) {
    throw ValueError(absl::StrCat(
        "ExecutorTiming: base_ns and step_ns must be >= 0 and steps >= 1, got base_ns=",
        timing.base_ns, " step_ns=", timing.step_ns, " steps=", timing.steps));
  }
  // The longest delay, base_ns + (steps - 1) * step_ns, must not overflow the virtual clock.
  int64_t span = 0;
  int64_t longest = 0;
  if (__builtin_mul_overflow(timing.steps - 1, timing.step_ns, &span) ||
      __builtin_add_overflow(timing.base_ns, span, &longest) || longest > INT64_MAX / 4) {
    throw ValueError(absl::StrCat("ExecutorTiming: base_ns + (steps - 1) * step_ns is too long (",
                                  "base_ns=", timing.base_ns, " step_ns=", timing.step_ns,
                                  " steps=", timing.steps, ")"));
  }
  timing_ = timing;
}

void SimExecutor::start_jobs() {
  while (!queue_.empty() && running_.size() < max_workers_ && !loop_.is_closed()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    const uint64_t c = loop_.choose(ChoiceKind::kExecutor, static_cast<uint64_t>(timing_.steps));
    const int64_t delay = timing_.base_ns + static_cast<int64_t>(c) * timing_.step_ns;
    const uint64_t id = job.id;
    job.timer = loop_.call_later(std::chrono::nanoseconds(delay), [this, id] { finish(id); });
    running_.emplace(id, std::move(job));
  }
}

void SimExecutor::finish(uint64_t id) {
  auto node = running_.extract(id);
  if (node.empty()) return;
  complete(node.mapped());
  start_jobs();
}

void SimExecutor::complete(Job& job) {
  try {
    job.work();
  } catch (...) {
    // run_in_executor's work never throws (it hands errors to `done`); a raw submit's error
    // has nobody else to go to.
    if (!loop_.is_closed()) {
      loop_.call_exception_handler(
          {"exception in a simulated executor job", std::current_exception(), {}});
    }
  }
  job.work = nullptr;  // the job's own state dies now, before its completion is delivered
  ++completed_;
  if (!loop_.is_closed()) loop_.call_soon(std::move(job.done));
}

void SimExecutor::shutdown() {
  if (shutdown_) return;
  shutdown_ = true;
  // Nothing can block here: finish every outstanding job now, in the order they would have.
  std::vector<std::tuple<int64_t, uint64_t>> order;
  for (auto& [id, job] : running_) order.emplace_back(job.timer.when_ns(), id);
  std::sort(order.begin(), order.end());
  for (auto& [when, id] : order) {
    auto node = running_.extract(id);
    node.mapped().timer.cancel();
    complete(node.mapped());
  }
  while (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    complete(job);
  }
}

}  // namespace weft::sim
