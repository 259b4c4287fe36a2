#include "runtime/sleep.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace weft::internal {

int64_t delay_to_ns(double seconds) {
  if (!(seconds > 0)) return 0;
  if (seconds > 9.2e9) return INT64_MAX / 2;
  return static_cast<int64_t>(std::llround(seconds * 1e9));
}

std::string SleepState::describe() const {
  return absl::StrFormat("sleep until t=%.9fs", static_cast<double>(when_ns()) * 1e-9);
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  EventLoop& loop = get_running_loop();
  TaskBase* task = loop.current_task_raw();
  if (!task) throw RuntimeError("sleep() awaited outside a task");
  if (delay_ns_ <= 0) {
    task_ = task;
    task->yield(h);
    return;
  }
  const int64_t when = loop.time_ns() + delay_ns_;
  state_ = make_ref<SleepState>(&loop, when);
  // The heap holds its own reference; the awaiter disarms the timer when it is done with it.
  loop.arm_timer(state_.get());
  waiter_.emplace(state_.get());
  waiter_->suspend(h);
}

void SleepAwaiter::await_resume() {
  if (waiter_) {
    state_->disarm();
    waiter_->resume();
    state_->check_result();
  } else if (task_) {
    task_->throw_if_must_cancel();
  }
}

}  // namespace weft::internal
