// TaskHandle<T> and AnyTask: handles to a scheduled task (asyncio.Task), returned by
// create_task. A task is a future: many may await it; cancel() requests a CancelledError at its
// next suspension (and cancels what it awaits); its result or exception is kept once done.
// Dropping every handle does not stop the task: the loop owns it until it is done.
#ifndef WEFT_RUNTIME_TASK_HANDLE_H_
#define WEFT_RUNTIME_TASK_HANDLE_H_

#include <coroutine>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/internal/task_base.h"
#include "runtime/task.h"

namespace weft {
namespace internal {

template <class T>
class TaskState final : public TaskBase {
 public:
  TaskState(EventLoop* loop, std::coroutine_handle<Promise<T>> h, std::string name)
      : TaskBase(loop, h, std::move(name)) {
    h.promise().root_task_ = this;
  }

  void on_root_done() override {
    auto h = std::coroutine_handle<Promise<T>>::from_address(root_.address());
    std::exception_ptr error = h.promise().exception_;
    if (!error) {
      if constexpr (std::is_void_v<T>) {
        slot.set();
      } else {
        slot.set(h.promise().slot_.take());
      }
    }
    destroy_frame();
    finish(std::move(error));
  }

  ResultSlot<T> slot;
};

// Stops the loop (through a callback, as asyncio's _run_until_complete_cb) when a future is done.
class StopWhenDone final : public DoneNode {
 public:
  explicit StopWhenDone(EventLoop* loop) : loop_(loop) {}
  ~StopWhenDone() { unlink(); }
  void on_done(FutureCore&) override {
    loop_->call_soon([loop = loop_] { loop->stop(); });
  }

 private:
  EventLoop* loop_;
};

}  // namespace internal

// A handle to any task, whatever its result type (current_task, all_tasks, registries).
class AnyTask {
 public:
  AnyTask() = default;
  explicit AnyTask(internal::TaskBase* task) : task_(task) {}

  explicit operator bool() const { return static_cast<bool>(task_); }
  bool done() const { return task_->done(); }
  bool cancelled() const { return task_->cancelled(); }
  // Requests cancellation (asyncio Task.cancel); false if the task is already done.
  bool cancel(std::string msg = {}) {
    if (EventLoop* loop = task_->loop()) loop->check_thread("cancel", "Task");
    return task_->cancel(std::move(msg));
  }
  // Number of pending cancellation requests (asyncio Task.cancelling / uncancel).
  int cancelling() const { return task_->cancelling(); }
  int uncancel() { return task_->uncancel(); }
  std::string get_name() const { return task_->name(); }
  void set_name(std::string name) { task_->set_name(std::move(name)); }
  uint64_t id() const { return task_->id(); }
  // The task's exception, null if it returned; throws CancelledError / InvalidStateError.
  std::exception_ptr exception() { return task_->exception(); }
  // `fn(task)` is scheduled with call_soon once the task is done.
  void add_done_callback(absl::AnyInvocable<void(AnyTask)> fn) {
    if (EventLoop* loop = task_->loop()) loop->check_thread("add_done_callback", "Task");
    task_->add_done_callback_with_future([fn = std::move(fn)](internal::FutureCore& f) mutable {
      fn(AnyTask(static_cast<internal::TaskBase*>(&f)));
    });
  }
  // RuntimeError once the loop has closed (a closed loop detaches its tasks).
  EventLoop& get_loop() const {
    task_->throw_if_detached("get_loop");
    return *task_->loop();
  }
  internal::TaskBase* core() const { return task_.get(); }
  friend bool operator==(const AnyTask& a, const AnyTask& b) { return a.task_ == b.task_; }

  // Waits for the task; rethrows its exception (CancelledError if it was cancelled).
  auto operator co_await() const {
    struct Awaiter {
      internal::Ref<internal::TaskBase> task;
      internal::FutureWaiter waiter{task.get()};
      bool await_ready() const noexcept { return task->done(); }
      void await_suspend(std::coroutine_handle<> h) { waiter.suspend(h); }
      void await_resume() {
        waiter.resume();
        task->check_result();
      }
    };
    return Awaiter{task_};
  }

 protected:
  internal::Ref<internal::TaskBase> task_;
};

template <class T = void>
class TaskHandle : public AnyTask {
 public:
  using value_type = T;
  TaskHandle() = default;
  explicit TaskHandle(internal::TaskState<T>* state) : AnyTask(state) {}

  // The task's value (a reference into its state; void for TaskHandle<void>). Throws its
  // exception, CancelledError if cancelled, InvalidStateError if not done.
  decltype(auto) result() {
    state()->check_result();
    if constexpr (!std::is_void_v<T>) return state()->slot.get();
  }

  // `co_await handle` yields a copy of the value; `co_await std::move(handle)` moves it out.
  auto operator co_await() const& {
    return internal::StateAwaiter<T, false, internal::TaskState<T>>(
        internal::Ref<internal::TaskState<T>>(state()));
  }
  auto operator co_await() && {
    return internal::StateAwaiter<T, true, internal::TaskState<T>>(
        internal::Ref<internal::TaskState<T>>(state()));
  }

  internal::TaskState<T>* state() const {
    return static_cast<internal::TaskState<T>*>(task_.get());
  }
};

template <class T>
TaskHandle<T> EventLoop::create_task(Task<T> coro, std::string name) {
  check_open("create_task");
  if (!coro.valid() || coro.awaited()) internal::throw_task_reused("create_task", coro.valid());
  auto h = coro.release();
  auto* state = new internal::TaskState<T>(this, h, std::move(name));
  TaskHandle<T> handle(state);
  register_task(state);
  schedule(state, h);
  return handle;
}

template <class T>
T EventLoop::run_until_complete(Task<T> main) {
  return run_until_complete(create_task(std::move(main)));
}

template <class T>
T EventLoop::run_until_complete(TaskHandle<T> main) {
  check_open("run_until_complete");
  if (!main.done()) {
    internal::StopWhenDone stopper(this);
    main.core()->link(&stopper);
    run_forever();
  }
  if (!main.done()) throw RuntimeError("Event loop stopped before Future completed.");
  return internal::read_result<T, true>(*main.state());
}

// Free functions on the running loop (asyncio's module-level API).
template <class T>
TaskHandle<T> create_task(Task<T> coro, std::string name = {}) {
  return get_running_loop().create_task(std::move(coro), std::move(name));
}
inline AnyTask current_task() {
  EventLoop* loop = running_loop_or_null();
  return loop ? loop->current_task() : AnyTask();
}
inline std::vector<AnyTask> all_tasks() { return get_running_loop().all_tasks(); }

}  // namespace weft

#endif  // WEFT_RUNTIME_TASK_HANDLE_H_
