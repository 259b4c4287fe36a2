// weft::TaskGroup: asyncio.TaskGroup, structured concurrency. Two forms share one exit:
//
//   co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {   // the body is the scope
//     tg.create_task(fetch("a"));
//     co_await something();
//   });  // returns once every child is done
//
//   TaskGroup tg;                       // `async with TaskGroup() as tg:`
//   co_await tg.enter();
//   std::exception_ptr error;           // C++ cannot co_await inside a catch block
//   try { tg.create_task(fetch("a")); co_await something(); }
//   catch (...) { error = std::current_exception(); }
//   co_await tg.exit(error);            // __aexit__: raises what leaves the scope
//
// Exit waits for every child. The first child failure cancels the other children and the
// scope's task; exit then raises ExceptionGroup with every non-cancellation failure (children's
// in the order they failed, then the body's). Cancelling the parent task cancels the children
// and exit raises CancelledError after they end. Works inside timeout()/timeout_at() scopes.
// weft: C++ has no async destructor, so an entered group destroyed without exit() cannot wait:
// it cancels its children (without awaiting them) and reports the misuse to the loop's
// exception handler — never a crash.
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
  // A group not yet entered. `name` appears in deadlock reports ("TaskGroup.exit on 'workers'
  // (2 tasks running)") and in error messages.
  explicit TaskGroup(std::string name = {}) : name_(std::move(name)) {}
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  // Exited or never entered: nothing to do. Entered and not exited: cancels the children that
  // are not done (they are not awaited: their done callbacks no longer reach this group) and,
  // when the entering task's own code left the scope (an exception skipped exit(), or exit()
  // was forgotten), takes back its cancellation of that task and reports "destroyed while
  // entered" to the loop's exception handler with an ExceptionGroup of the children's errors,
  // if any. Loop teardown destroys silently.
  ~TaskGroup();

  // Runs `body(group)` (a callable returning Task<void>) as the group's scope in the current
  // task: enter(), the body, then exit() with the body's exception. The body is the only place
  // that may hold the group; it must not keep a reference past its own end.
  template <class F>
  requires std::is_invocable_r_v<Task<void>, F&, TaskGroup&> static Task<void> run(F body) {
    return run(std::string(), std::move(body));
  }
  template <class F>
  requires std::is_invocable_r_v<Task<void>, F&, TaskGroup&> static Task<void> run(std::string name,
                                                                                   F body) {
    TaskGroup group(std::move(name));
    group.enter_now();
    std::exception_ptr error;
    try {
      co_await body(group);
    } catch (...) {
      // Handed to exit(), which decides what leaves the scope (as asyncio's __aexit__).
      error = std::current_exception();
    }
    co_await group.exit(std::move(error));
  }

  // asyncio's __aenter__: the current task becomes the group's parent. RuntimeError if the
  // group was entered before (a group is used once) or there is no current task.
  Task<void> enter() {
    enter_now();
    co_return;
  }
  // asyncio's __aexit__ with the scope's exception (null when the scope ended normally): waits
  // for every child, then raises ExceptionGroup if a child or `error` failed with something
  // other than a cancellation; CancelledError if the parent task was cancelled from outside (or
  // `error` is a cancellation not caused by this group); returns normally after cancel().
  // RuntimeError, with nothing changed, if the group was not entered, exit() was called before,
  // or the caller is not the task that entered it.
  Task<void> exit(std::exception_ptr error);
  // exit(nullptr), with the null built here rather than as a temporary in the caller's co_await
  // expression (g++ 12, see README).
  Task<void> exit() { return exit(std::exception_ptr()); }

  // Starts `coro` as a child task (asyncio TaskGroup.create_task). RuntimeError if the group
  // has not been entered, is finished (exited with no child left) or shutting down (a child
  // failed, or cancel() was called); `coro` is then destroyed without running.
  template <class T>
  TaskHandle<T> create_task(Task<T> coro, std::string name = {}) {
    check_can_create();
    TaskHandle<T> handle = parent_.get_loop().create_task(std::move(coro), std::move(name));
    track(handle);
    return handle;
  }

  // Python 3.14's TaskGroup.cancel: cancels every child and the body; exit() then returns
  // normally (no CancelledError) once the children are done. Idempotent.
  void cancel();

  // Children not yet done.
  size_t size() const { return tasks_.size(); }
  const std::string& name() const { return name_; }

 private:
  void enter_now();
  void check_can_create() const;
  std::string label() const;
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
  bool exiting_ = false;  // exit() was called
  bool exited_ = false;   // exit() has waited for every child
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_TASK_GROUP_H_
