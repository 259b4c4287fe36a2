// weft::Task<T>: a lazy coroutine (asyncio's `async def`). Nothing runs until it is awaited or
// handed to create_task. Awaiting it runs it inline by symmetric transfer, so chains of any
// depth do not grow the stack. A Task owns its frame: destroying an unstarted or suspended Task
// destroys the frame. T may be void, a reference, or move-only. A Task runs once: awaiting it a
// second time (or while it runs), awaiting a moved-from Task, or handing either to create_task
// raises RuntimeError, as asyncio's "cannot reuse already awaited coroutine".
#ifndef WEFT_RUNTIME_TASK_H_
#define WEFT_RUNTIME_TASK_H_

#include <coroutine>
#include <exception>
#include <utility>

#include "runtime/errors.h"
#include "runtime/internal/result.h"
#include "runtime/internal/task_base.h"

namespace weft {

template <class T>
class Task;

namespace internal {

class PromiseBase {
 public:
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      PromiseBase& p = h.promise();
      if (p.continuation_) return p.continuation_;
      // The root coroutine of a scheduled task: the task takes the result and destroys the
      // frame; nothing of `p` may be touched after this call.
      if (p.root_task_) p.root_task_->on_root_done();
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };

  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  std::coroutine_handle<> continuation_;
  TaskBase* root_task_ = nullptr;
  std::exception_ptr exception_;
};

template <class T>
class Promise : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <class U = T>
  void return_value(U&& v) {
    slot_.set(std::forward<U>(v));
  }
  T take() {
    if (exception_) std::rethrow_exception(exception_);
    return slot_.take();
  }
  ResultSlot<T> slot_;
};

template <class T>
class Promise<T&> : public PromiseBase {
 public:
  Task<T&> get_return_object() noexcept;
  void return_value(T& v) { slot_.set(v); }
  T& take() {
    if (exception_) std::rethrow_exception(exception_);
    return slot_.take();
  }
  ResultSlot<T&> slot_;
};

template <>
class Promise<void> : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept { slot_.set(); }
  void take() {
    if (exception_) std::rethrow_exception(exception_);
  }
  ResultSlot<void> slot_;
};

}  // namespace internal

template <class T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = internal::Promise<T>;
  using value_type = T;

  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  // Holds a coroutine (false once moved from or handed to create_task).
  bool valid() const noexcept { return static_cast<bool>(h_); }
  // Has been awaited (it may still be running): it cannot be awaited or scheduled again.
  bool awaited() const noexcept { return h_ && h_.promise().continuation_; }

  struct Awaiter {
    std::coroutine_handle<promise_type> h;
    // The first await sets the continuation, and it stays set: a second await would resume a
    // running or finished coroutine.
    bool await_ready() const {
      if (!h || h.promise().continuation_) [[unlikely]] {
        internal::throw_task_reused("co_await", static_cast<bool>(h));
      }
      return false;
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
      h.promise().continuation_ = caller;
      return h;
    }
    T await_resume() { return h.promise().take(); }
  };
  // Starts the coroutine inline; the caller resumes when it finishes. Await once (RuntimeError
  // after that, see above).
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
  Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

  // For create_task: gives up ownership of the frame.
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

 private:
  std::coroutine_handle<promise_type> h_;
};

namespace internal {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
template <class T>
Task<T&> Promise<T&>::get_return_object() noexcept {
  return Task<T&>(std::coroutine_handle<Promise<T&>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace internal

}  // namespace weft

#endif  // WEFT_RUNTIME_TASK_H_
