// run_in_executor / to_thread: run a blocking function on the world's default executor and await
// its result. An exception thrown by the function arrives at the awaiting coroutine. Cancelling
// the returned future skips the job if it has not started; a started job runs to the end and its
// result is dropped (a thread cannot be interrupted, as in asyncio).
#ifndef WEFT_RUNTIME_IO_EXECUTOR_H_
#define WEFT_RUNTIME_IO_EXECUTOR_H_

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/io/executor_service.h"
#include "runtime/observer.h"

namespace weft {
namespace internal {

// What crosses threads: written by the worker, read by `done` on the loop thread after the
// worker handed it over through call_soon_threadsafe (which orders the accesses).
template <class R>
struct ExecutorBox {
  std::atomic<bool> cancelled{false};
  std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value;
  std::exception_ptr error;
};

inline ExecutorService& executor() {
  ExecutorService* ex = get_running_loop().executor_service();
  if (!ex) throw RuntimeError("this event loop has no executor");
  return *ex;
}

}  // namespace internal

template <class F, class... Args>
using executor_result_t = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;

// asyncio loop.run_in_executor(None, fn, *args): `fn` and `args` are moved to the worker thread
// and destroyed there. weft: the executor is always the loop's default one.
template <class F, class... Args>
Future<executor_result_t<F, Args...>> run_in_executor(F&& fn, Args&&... args) {
  using R = executor_result_t<F, Args...>;
  static_assert(!std::is_reference_v<R>, "run_in_executor: return a value, not a reference");
  EventLoop& loop = get_running_loop();
  ExecutorService& ex = internal::executor();
  Future<R> fut = loop.create_future<R>();
  // The job's id is its future's: the task awaiting the result wakes with it.
  const uint64_t job = fut.resource_id();
  auto box = std::make_shared<internal::ExecutorBox<R>>();
  if (LoopObserver* o = loop.observer()) o->on_executor_submitted(job);
  ex.submit(
      [box, fn = std::forward<F>(fn),
       args = std::make_tuple(std::forward<Args>(args)...)]() mutable {
        if (box->cancelled.load()) return;
        try {
          if constexpr (std::is_void_v<R>) {
            std::apply(std::move(fn), std::move(args));
            box->value.emplace();
          } else {
            box->value.emplace(std::apply(std::move(fn), std::move(args)));
          }
        } catch (...) {
          // Not swallowed: handed to the awaiting coroutine by `done`.
          box->error = std::current_exception();
        }
      },
      [box, fut, job]() mutable {
        if (LoopObserver* o = get_running_loop().observer()) o->on_executor_completed(job);
        if (fut.done()) return;  // cancelled while the job ran
        if (box->error) {
          fut.set_exception(box->error);
        } else if (box->value) {
          if constexpr (std::is_void_v<R>) {
            fut.set_result();
          } else {
            fut.set_result(std::move(*box->value));
          }
        }
      },
      job);
  fut.add_done_callback([box](Future<R> f) {
    if (f.cancelled()) box->cancelled.store(true);
  });
  return fut;
}

// asyncio.to_thread. weft: returns the (already submitted) future rather than a lazy coroutine.
template <class F, class... Args>
Future<executor_result_t<F, Args...>> to_thread(F&& fn, Args&&... args) {
  return run_in_executor(std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_EXECUTOR_H_
