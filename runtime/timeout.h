// weft::timeout / timeout_at: asyncio.timeout scopes. The body runs in the current task; when the
// deadline passes, the task is cancelled, and the CancelledError that leaves the body becomes
// TimeoutError. A cancellation from elsewhere passes through unchanged. The body may take the
// Timeout to read or move its deadline (when, reschedule, expired). A deadline of nullopt
// never expires. weft::wait_for builds on it: on timeout it cancels the awaited operation,
// waits for it to end, and raises TimeoutError.
#ifndef WEFT_RUNTIME_TIMEOUT_H_
#define WEFT_RUNTIME_TIMEOUT_H_

#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

class Timeout {
 public:
  // Used by timeout()/timeout_at(); enters at once on the current task.
  Timeout(EventLoop& loop, std::optional<int64_t> when_ns);
  Timeout(const Timeout&) = delete;
  ~Timeout() { handle_.cancel(); }

  // The deadline in loop seconds (inf for one too far to come), nullopt for none.
  std::optional<double> when() const;
  // Moves the deadline (nullopt: none). A deadline in the past expires on the next iteration;
  // inf never expires.
  void reschedule(std::optional<double> when);
  void reschedule_ns(std::optional<int64_t> when_ns);
  // True once the deadline has passed and cancelled the body.
  bool expired() const { return state_ == State::kExpiring || state_ == State::kExpired; }

  // Leaves the scope: converts the body's CancelledError into TimeoutError when the deadline
  // caused it; rethrows any other error; returns normally when `error` is null.
  void exit(std::exception_ptr error);

 private:
  enum class State { kEntered, kExpiring, kExpired, kExited };
  void on_timeout();

  EventLoop& loop_;
  AnyTask task_;
  std::optional<int64_t> when_ns_;
  Handle handle_;
  int cancelling_ = 0;
  State state_ = State::kEntered;
};

namespace internal {
template <class F>
using timeout_body_t = typename std::invoke_result_t<F&, Timeout&>::value_type;

template <class F>
Task<timeout_body_t<F>> run_with_timeout(std::optional<int64_t> when_ns, F body) {
  using R = timeout_body_t<F>;
  Timeout scope(get_running_loop(), when_ns);
  std::exception_ptr error;
  try {
    if constexpr (std::is_void_v<R>) {
      co_await body(scope);
      scope.exit(nullptr);
      co_return;
    } else {
      R value = co_await body(scope);
      scope.exit(nullptr);
      co_return std::forward<R>(value);
    }
  } catch (...) {
    // Kept and handed to exit(), which rethrows it or turns it into TimeoutError.
    error = std::current_exception();
  }
  scope.exit(error);
  throw RuntimeError("unreachable: Timeout::exit returned with an error");
}

std::optional<int64_t> deadline_after(std::optional<double> delay);
std::optional<int64_t> deadline_at(std::optional<double> when);
// A deadline this far away (about 146 years) never comes; Timeout::when() reports it as inf.
inline constexpr int64_t kFarNs = INT64_MAX / 2;
// Loop seconds to nanoseconds, clamped to [-kFarNs, kFarNs] (inf and 1e12 stay far away instead
// of overflowing into the past); NaN means now, as for delays.
int64_t when_to_ns(double when);
}  // namespace internal

// co_await timeout(1.5, body()) — body a Task<T>, or a callable (Timeout&) -> Task<T>.
template <class T>
Task<T> timeout(std::optional<double> delay, Task<T> body) {
  return internal::run_with_timeout(internal::deadline_after(delay),
                                    [b = std::move(body)](Timeout&) mutable { return std::move(b); });
}
template <class F>
  requires std::is_invocable_v<F&, Timeout&>
auto timeout(std::optional<double> delay, F body) {
  return internal::run_with_timeout(internal::deadline_after(delay), std::move(body));
}
template <class T>
Task<T> timeout_at(std::optional<double> when, Task<T> body) {
  return internal::run_with_timeout(internal::deadline_at(when),
                                    [b = std::move(body)](Timeout&) mutable { return std::move(b); });
}
template <class F>
  requires std::is_invocable_v<F&, Timeout&>
auto timeout_at(std::optional<double> when, F body) {
  return internal::run_with_timeout(internal::deadline_at(when), std::move(body));
}

// asyncio.wait_for: awaits `aw`; if `timeout` (seconds) passes first, cancels it, waits for it
// to finish and raises TimeoutError (unless it completed anyway, then its result is returned).
// nullopt waits forever. If wait_for itself is cancelled, the awaited operation is cancelled.
// g++ 12 mishandles temporaries with non-trivial destructors inside a co_await expression (it
// may destroy them twice), so these bodies keep such objects in named locals.
template <class T>
Task<T> wait_for(TaskHandle<T> task, std::optional<double> timeout_s) {
  if (!timeout_s) co_return co_await std::move(task);
  if (*timeout_s <= 0) {
    if (!task.done()) {
      task.cancel();
      internal::DoneAwaiter done(task.core());
      co_await done;
    }
    if (task.cancelled()) throw TimeoutError();
    co_return co_await std::move(task);
  }
  auto body = [task](Timeout&) mutable -> Task<T> { co_return co_await std::move(task); };
  Task<T> scoped = timeout(timeout_s, std::move(body));
  co_return co_await std::move(scoped);
}
template <class T>
Task<T> wait_for(Task<T> aw, std::optional<double> timeout_s) {
  if (!timeout_s) co_return co_await std::move(aw);
  if (*timeout_s <= 0) {
    TaskHandle<T> task = create_task(std::move(aw));
    Task<T> waited = wait_for(std::move(task), timeout_s);
    co_return co_await std::move(waited);
  }
  Task<T> scoped = timeout(timeout_s, std::move(aw));
  co_return co_await std::move(scoped);
}
template <class T>
Task<T> wait_for(Future<T> fut, std::optional<double> timeout_s) {
  auto body = [fut](Timeout&) mutable -> Task<T> { co_return co_await std::move(fut); };
  Task<T> scoped = timeout(timeout_s, std::move(body));
  co_return co_await std::move(scoped);
}

}  // namespace weft

#endif  // WEFT_RUNTIME_TIMEOUT_H_
