// weft::sleep: asyncio.sleep. sleep(0) (or any delay <= 0) yields to the other ready callbacks
// for one iteration; a positive delay suspends the task until the loop's clock has advanced by
// at least `delay`. A cancelled sleep cancels its timer and leaves nothing scheduled.
#ifndef WEFT_RUNTIME_SLEEP_H_
#define WEFT_RUNTIME_SLEEP_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/event_loop.h"
#include "runtime/future.h"

namespace weft {
namespace internal {

// The sleep's future and its timer in one allocation (see TimerFuture).
class SleepState final : public TimerFuture {
 public:
  using TimerFuture::TimerFuture;
  std::string describe() const override;
};

class SleepAwaiter {
 public:
  explicit SleepAwaiter(int64_t delay_ns) : delay_ns_(delay_ns) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (state_) state_->disarm();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();

 private:
  int64_t delay_ns_;
  TaskBase* task_ = nullptr;
  Ref<SleepState> state_;
  // final, so destroying it through std::optional is not a polymorphic delete (clang warns).
  struct Waiter final : FutureWaiter {
    using FutureWaiter::FutureWaiter;
  };
  std::optional<Waiter> waiter_;
};

int64_t delay_to_ns(double seconds);

}  // namespace internal

// Suspends the current task for `seconds` (a yield for seconds <= 0). Must be awaited in a task.
inline internal::SleepAwaiter sleep(double seconds) {
  return internal::SleepAwaiter(internal::delay_to_ns(seconds));
}
inline internal::SleepAwaiter sleep(std::chrono::nanoseconds delay) {
  return internal::SleepAwaiter(delay.count());
}

}  // namespace weft

#endif  // WEFT_RUNTIME_SLEEP_H_
