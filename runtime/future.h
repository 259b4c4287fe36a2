// weft::Future<T>: asyncio.Future. A shared handle to a result that is set once; awaiting it from
// a task suspends the task until it is done. Done callbacks are scheduled with call_soon, in the
// order they were added. set_result / set_exception on a done future throw InvalidStateError.
// Cancelling a task that awaits a future cancels the future. Thread: only the thread running
// the future's loop may set, cancel or watch it while the loop runs (RuntimeError otherwise;
// hand the work over with call_soon_threadsafe).
#ifndef WEFT_RUNTIME_FUTURE_H_
#define WEFT_RUNTIME_FUTURE_H_

#include <coroutine>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "runtime/event_loop.h"
#include "runtime/internal/core.h"
#include "runtime/internal/result.h"

namespace weft {
namespace internal {

template <class T>
class FutureState : public FutureCore {
 public:
  using FutureCore::FutureCore;
  ResultSlot<T> slot;
};

// Reads the value of a done state `s` with a `slot` member: copies, or moves when kMove.
template <class T, bool kMove, class State>
T read_result(State& s) {
  s.check_result();
  if constexpr (std::is_void_v<T>) {
    return;
  } else if constexpr (std::is_reference_v<T>) {
    return s.slot.get();
  } else if constexpr (kMove) {
    return s.slot.take();
  } else {
    return T(s.slot.get());
  }
}

// Awaits any state with a `slot` (FutureState<T>, TaskState<T>). Holds a reference for the
// whole wait. A cancelled await unlinks itself: nothing stays registered on the future.
template <class T, bool kMove, class State>
class StateAwaiter {
 public:
  explicit StateAwaiter(Ref<State> s) : state_(std::move(s)), waiter_(state_.get()) {}
  bool await_ready() const noexcept { return state_->done(); }
  void await_suspend(std::coroutine_handle<> h) { waiter_.suspend(h); }
  T await_resume() {
    waiter_.resume();
    return read_result<T, kMove>(*state_);
  }

 private:
  struct Waiter final : FutureWaiter {
    using FutureWaiter::FutureWaiter;
  };
  Ref<State> state_;
  Waiter waiter_;
};

// Waits until a future is done without reading its outcome (asyncio's `await asyncio.wait(...)`
// building block). A cancellation of the waiting task still raises CancelledError.
class DoneAwaiter {
 public:
  explicit DoneAwaiter(FutureCore* f) : future_(f), waiter_(f) {}
  bool await_ready() const noexcept { return future_->done(); }
  void await_suspend(std::coroutine_handle<> h) { waiter_.suspend(h); }
  void await_resume() { waiter_.resume(); }

 private:
  Ref<FutureCore> future_;
  FutureWaiter waiter_;
};

}  // namespace internal

template <class T = void>
class Future {
 public:
  using value_type = T;

  // A pending future on the running loop (RuntimeError if none).
  Future() : Future(get_running_loop()) {}
  explicit Future(EventLoop& loop)
      : state_(internal::make_ref<internal::FutureState<T>>(&loop)) {}
  explicit Future(internal::Ref<internal::FutureState<T>> state) : state_(std::move(state)) {}

  bool done() const { return state_->done(); }
  bool cancelled() const { return state_->cancelled(); }
  // Cancels a pending future and schedules its callbacks; false if already done.
  bool cancel(std::string msg = {}) {
    state_->loop()->check_thread("cancel", "Future");
    return state_->cancel(std::move(msg));
  }

  // The value (a reference into the shared state; void for Future<void>). Throws the stored
  // exception, CancelledError if cancelled, InvalidStateError if pending.
  decltype(auto) result() {
    state_->check_result();
    if constexpr (!std::is_void_v<T>) return state_->slot.get();
  }
  std::exception_ptr exception() { return state_->exception(); }

  template <class U = T>
    requires(!std::is_void_v<T>)
  void set_result(U&& v) {
    state_->loop()->check_thread("set_result", "Future");
    state_->throw_if_done("set_result");
    state_->slot.set(std::forward<U>(v));
    state_->mark_finished();
  }
  void set_result()
    requires std::is_void_v<T>
  {
    state_->loop()->check_thread("set_result", "Future");
    state_->throw_if_done("set_result");
    state_->slot.set();
    state_->mark_finished();
  }
  void set_exception(std::exception_ptr e) {
    state_->loop()->check_thread("set_exception", "Future");
    state_->set_exception(std::move(e));
  }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void set_exception(E&& e) {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }

  // `fn(future)` is scheduled with call_soon once the future is done (at once if it is).
  void add_done_callback(absl::AnyInvocable<void(Future<T>)> fn) {
    state_->loop()->check_thread("add_done_callback", "Future");
    state_->add_done_callback_with_future([fn = std::move(fn)](internal::FutureCore& f) mutable {
      fn(Future<T>(internal::Ref<internal::FutureState<T>>(static_cast<internal::FutureState<T>*>(&f))));
    });
  }

  EventLoop& get_loop() const { return *state_->loop(); }
  // The loop-issued resource id a task woken by this future reports (LoopObserver::on_task_step):
  // the future's own, issued on first need (see internal::FutureCore::resource_id).
  uint64_t resource_id() const { return state_->resource_id(); }
  internal::FutureState<T>* core() const { return state_.get(); }
  friend bool operator==(const Future& a, const Future& b) { return a.state_ == b.state_; }

  // `co_await fut` yields a copy of the value; `co_await std::move(fut)` moves it out.
  auto operator co_await() const& {
    return internal::StateAwaiter<T, false, internal::FutureState<T>>(state_);
  }
  auto operator co_await() && {
    return internal::StateAwaiter<T, true, internal::FutureState<T>>(std::move(state_));
  }

 private:
  internal::Ref<internal::FutureState<T>> state_;
};

template <class T>
Future<T> EventLoop::create_future() {
  check_open("create_future");
  return Future<T>(*this);
}

}  // namespace weft

#endif  // WEFT_RUNTIME_FUTURE_H_
