// weft::TaskGroup: asyncio.TaskGroup, structured concurrency. C++ has no `async with`, so the
// group's scope is a body coroutine:
//
//   co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
//     tg.create_task(fetch("a"));
//     tg.create_task(fetch("b"));
//     co_await something();
//   });  // returns once every child is done
//
// Leaving the body waits for every child. The first child failure cancels the other children
// and the body; run() then raises ExceptionGroup with every non-cancellation failure (children's
// in the order they failed, then the body's). Cancelling the parent task cancels the children
// and run() raises CancelledError after they end. Works inside timeout()/timeout_at() scopes.
#ifndef WEFT_RUNTIME_SYNC_TASK_GROUP_H_
#define WEFT_RUNTIME_SYNC_TASK_GROUP_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/errors.h"
#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

class TaskGroup final : private internal::WaitDescriber {
 public:
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // Runs `body(group)` (a callable returning Task<void>) as the group's scope in the current
  // task, then waits for every child. Raises ExceptionGroup if any child or the body failed
  // with something other than a cancellation; CancelledError if the parent task was cancelled
  // from outside; returns normally after cancel(). `name` appears in deadlock reports
  // ("TaskGroup.exit on 'workers' (2 tasks running)"). The body is the only place that may
  // hold the group; it must not keep a reference past its own end.
  template <class F>
  requires std::is_invocable_r_v<Task<void>, F&, TaskGroup&> static Task<void> run(F body) {
    return run(std::string(), std::move(body));
  }
  template <class F>
  requires std::is_invocable_r_v<Task<void>, F&, TaskGroup&> static Task<void> run(std::string name,
                                                                                   F body) {
    TaskGroup group(std::move(name));
    group.enter();
    std::exception_ptr error;
    try {
      co_await body(group);
    } catch (...) {
      // Handed to exit(), which decides what leaves the scope (as asyncio's __aexit__).
      error = std::current_exception();
    }
    co_await group.exit(std::move(error));
  }

  // Starts `coro` as a child task (asyncio TaskGroup.create_task). RuntimeError once the group
  // is finished or shutting down (a child failed, or cancel() was called); `coro` is then
  // destroyed without running.
  template <class T>
  TaskHandle<T> create_task(Task<T> coro, std::string name = {}) {
    check_can_create();
    TaskHandle<T> handle = parent_.get_loop().create_task(std::move(coro), std::move(name));
    track(handle);
    return handle;
  }

  // Python 3.14's TaskGroup.cancel: cancels every child and the body; run() then returns
  // normally (no CancelledError) once the children are done. Idempotent.
  void cancel();

  // Children not yet done.
  size_t size() const { return tasks_.size(); }
  const std::string& name() const { return name_; }

 private:
  explicit TaskGroup(std::string name) : name_(std::move(name)) {}
  void enter();
  Task<void> exit(std::exception_ptr error);
  void check_can_create() const;
  void track(AnyTask task);
  void on_task_done(const AnyTask& task);
  void abort();
  std::string describe_wait(const char* op) const override;

  std::string name_;
  AnyTask parent_;
  std::vector<AnyTask> tasks_;  // children not yet done, in creation order
  std::vector<std::exception_ptr> errors_;
  internal::Ref<internal::SyncWaiter> on_completed_;
  // Done callbacks outlive a group whose frame is destroyed early: they check this first.
  std::shared_ptr<TaskGroup*> self_ = std::make_shared<TaskGroup*>(this);
  bool entered_ = false;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_TASK_GROUP_H_
