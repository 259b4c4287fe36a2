#include "runtime/sync/task_group.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace weft {

TaskGroup::~TaskGroup() {
  *self_ = nullptr;
  // Children must not outlive their owner unsupervised: reached with children left when an
  // entered group is never exited, or when the frame holding it is destroyed early (loop
  // close, a killed or destroyed task).
  size_t cancelled = 0;
  for (auto& t : tasks_) {
    if (!t.done()) {
      t.cancel();
      ++cancelled;
    }
  }
  if (on_completed_) on_completed_->detach();
  // Only the entering task's own code leaving the scope is a misuse worth reporting; teardown
  // destroys frames from outside any task (or from another one) and stays silent.
  if (!entered_ || exited_ || !parent_ || !(current_task() == parent_)) return;
  // As exit() would: take back the cancellation this group requested of its parent, so a
  // parent that catches it goes on with cancelling() as before.
  if (parent_cancel_requested_) parent_.uncancel();
  try {
    std::exception_ptr errors;
    if (!errors_.empty()) {
      errors = std::make_exception_ptr(
          ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_)));
    }
    parent_.get_loop().call_exception_handler(
        {absl::StrCat(label(), " was destroyed while entered, without exit(): cancelled ",
                      internal::count_of(cancelled, "unfinished task")),
         std::move(errors), parent_.get_name()});
  } catch (...) {
    // A destructor must not throw; the handler itself failed (out of memory, or a handler
    // that throws). The children are cancelled either way.
  }
}

std::string TaskGroup::label() const {
  return name_.empty() ? std::string("TaskGroup") : absl::StrCat("TaskGroup '", name_, "'");
}

void TaskGroup::enter_now() {
  if (entered_) throw RuntimeError(absl::StrCat(label(), " has already been entered"));
  parent_ = current_task();
  if (!parent_) throw RuntimeError(absl::StrCat(label(), " cannot determine the parent task"));
  entered_ = true;
}

void TaskGroup::check_can_create() const {
  if (!entered_) throw RuntimeError(absl::StrCat(label(), " has not been entered"));
  if (exiting_ && tasks_.empty()) throw RuntimeError(absl::StrCat(label(), " is finished"));
  if (aborting_) throw RuntimeError(absl::StrCat(label(), " is shutting down"));
}

void TaskGroup::track(AnyTask task) {
  tasks_.push_back(task);
  task.add_done_callback([self = self_](AnyTask t) {
    if (TaskGroup* group = *self) group->on_task_done(t);
  });
}

void TaskGroup::abort() {
  aborting_ = true;
  for (auto& t : tasks_) {
    if (!t.done()) t.cancel();
  }
}

void TaskGroup::cancel() {
  if (exiting_ && tasks_.empty()) return;
  if (aborting_) return;
  abort();
  if (parent_ && !parent_cancel_requested_) {
    parent_cancel_requested_ = true;
    parent_.cancel();
  }
}

void TaskGroup::on_task_done(const AnyTask& task) {
  auto it = std::find(tasks_.begin(), tasks_.end(), task);
  if (it != tasks_.end()) tasks_.erase(it);
  if (on_completed_ && tasks_.empty()) on_completed_->wake();
  if (task.cancelled()) return;
  std::exception_ptr error = AnyTask(task).exception();
  if (!error) return;
  errors_.push_back(error);
  if (parent_.done()) {
    parent_.get_loop().call_exception_handler(
        {absl::StrCat("Task '", task.get_name(), "' has errored out but its parent task '",
                      parent_.get_name(), "' is already completed"),
         error, task.get_name()});
    return;
  }
  if (!aborting_ && !parent_cancel_requested_) {
    // Abort the body too; exit() later takes back this cancellation with uncancel().
    abort();
    parent_cancel_requested_ = true;
    parent_.cancel();
  }
}

Task<void> TaskGroup::exit(std::exception_ptr error) {
  if (!entered_) throw RuntimeError(absl::StrCat(label(), " has not been entered"));
  if (exiting_) throw RuntimeError(absl::StrCat(label(), " has already been exited"));
  if (AnyTask caller = current_task(); !(caller == parent_)) {
    throw RuntimeError(absl::StrCat(label(), " must be exited by the task that entered it ('",
                                    parent_.get_name(), "'), not by '",
                                    caller ? caller.get_name() : std::string("no task"), "'"));
  }
  exiting_ = true;
  const bool body_cancelled = is_cancelled_error(error);
  std::exception_ptr propagate_cancellation = body_cancelled ? error : nullptr;
  if (error && !aborting_) abort();

  // A loop: the wait can be cancelled more than once while the parent is being cancelled.
  std::exception_ptr pending_cancellation;
  while (!tasks_.empty()) {
    if (!on_completed_) {
      const internal::WaitDescriber* describer = this;
      on_completed_ = internal::make_ref<internal::SyncWaiter>(&parent_.get_loop(), describer,
                                                               "TaskGroup.exit");
    }
    try {
      co_await internal::wait_on(on_completed_);
    } catch (const CancelledError&) {
      pending_cancellation = std::current_exception();
      if (!aborting_) {
        // The parent is being cancelled from outside while children run.
        propagate_cancellation = pending_cancellation;
        abort();
      }
    }
    on_completed_ = nullptr;
  }
  exited_ = true;

  if (parent_cancel_requested_) {
    // This group cancelled the parent: take that request back.
    if (parent_.uncancel() == 0) {
      propagate_cancellation = nullptr;
    } else if (!propagate_cancellation) {
      // Another cancellation is still pending and it is not ours: do not drop it.
      propagate_cancellation = pending_cancellation;
    }
  }
  if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
  if (error && !body_cancelled) errors_.push_back(error);
  if (!errors_.empty()) {
    // A cancellation from outside stays requested, with a stable count.
    if (parent_.cancelling() > 0) {
      parent_.uncancel();
      parent_.cancel();
    }
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
  }
  // Anything left (a cancellation this group caused) is suppressed.
}

std::string TaskGroup::describe_wait(const char* op) const {
  return absl::StrCat(op, internal::name_part(name_), " (",
                      internal::count_of(tasks_.size(), "task"), " running",
                      aborting_ ? ", cancelling" : "", ")");
}

}  // namespace weft
