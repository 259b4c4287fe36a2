// The untyped half of a scheduled task (asyncio.Task): its id and name, the future it waits on,
// pending cancellation, and its place in the loop's registry. TaskState<T> adds the value.
#ifndef WEFT_RUNTIME_INTERNAL_TASK_BASE_H_
#define WEFT_RUNTIME_INTERNAL_TASK_BASE_H_

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/internal/core.h"

namespace weft::internal {

// Throws RuntimeError for a Task that cannot run (again): already awaited when it still holds
// its coroutine, else moved from or handed to create_task. `where` names the call.
[[noreturn]] void throw_task_reused(const char* where, bool has_coroutine);

class TaskBase : public FutureCore {
 public:
  TaskBase(EventLoop* loop, std::coroutine_handle<> root, std::string name);
  ~TaskBase() override;

  // One step: resumes `h` (the innermost suspended coroutine of this task) with this task as
  // the loop's current task.
  void run(std::coroutine_handle<> h) override;

  // asyncio Task.cancel: requests cancellation; cancels the awaited future if there is one,
  // otherwise CancelledError is raised at the task's next suspension. False if already done.
  bool cancel(std::string msg = {}) override;
  int cancelling() const noexcept { return cancel_requests_; }
  int uncancel() noexcept;

  uint64_t id() const noexcept { return id_; }
  std::string name() const;
  void set_name(std::string name) {
    name_ = name.empty() ? nullptr : std::make_unique<std::string>(std::move(name));
  }
  std::string describe() const override;
  // What this task waits on right now, for deadlock reports ("Lock 'a'", "sleep until ...").
  std::string waiting_on() const;

  // Awaiters' side of cancellation (see FutureWaiter).
  FutureCore* waiter() const noexcept { return waiter_; }
  void set_waiter(FutureCore* f) noexcept { waiter_ = f; }
  bool must_cancel() const noexcept { return must_cancel_; }
  // The task just suspended on its waiter while a cancellation was pending: cancel the waiter
  // now (asyncio's __step does the same).
  void cancel_waiter_now();
  // Consumes a pending cancellation: throws CancelledError if one is pending.
  void throw_if_must_cancel();
  // Suspends the task for one loop iteration (sleep(0)): a cancellation requested meanwhile is
  // delivered by throw_if_must_cancel() on resumption.
  void yield(std::coroutine_handle<> h);

  // Called by the root coroutine's final_suspend: collect the result, destroy the frame, finish.
  virtual void on_root_done() = 0;
  // Destroys the coroutine frame of a task that has not finished (loop close, node kill).
  void destroy_frame() noexcept;
  // Ends the task abruptly, as a machine crash would: the frame is destroyed without running
  // further (destructors of its locals run, no catch block does), a future it was waiting on is
  // cancelled so queues and locks pass over it (an awaited task is left alone), and the task
  // finishes as cancelled so its awaiters wake with CancelledError. No-op once done.
  void kill(std::string msg = "killed");

  // The task's group (0: none). A task created by a task inherits its group; the simulated
  // world runs each node's tasks in one group, so killing a node kills exactly them.
  uint16_t group() const noexcept { return group_; }
  void set_group(uint16_t g) noexcept { group_ = g; }
  bool frame_alive() const noexcept { return static_cast<bool>(root_); }

 protected:
  // For on_root_done(): record the outcome. An exception that is a CancelledError cancels the task.
  void finish(std::exception_ptr error);
  std::string take_pending_message();
  std::coroutine_handle<> root_;

 private:
  friend class weft::EventLoop;
  uint64_t id_ = 0;
  // Out of line, allocated only when used: a task is mostly "Task-<id>" and uncancelled.
  std::unique_ptr<std::string> name_;
  std::unique_ptr<std::string> pending_cancel_message_;
  FutureCore* waiter_ = nullptr;
  int cancel_requests_ = 0;
  bool must_cancel_ = false;
  bool started_ = false;
  uint16_t group_ = 0;
  // Registry links: every task not yet done, in creation order (EventLoop::all_tasks).
  TaskBase* pending_prev_ = nullptr;
  TaskBase* pending_next_ = nullptr;
  // Every task state still alive, done or not, so the loop can detach them when it closes.
  TaskBase* live_prev_ = nullptr;
  TaskBase* live_next_ = nullptr;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_TASK_BASE_H_
