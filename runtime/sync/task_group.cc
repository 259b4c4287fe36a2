#include "runtime/sync/task_group.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace weft {

TaskGroup::~TaskGroup() {
  *self_ = nullptr;
  // Only reached with children left when the frame running the group is destroyed early (loop
  // close, a destroyed task): children must not outlive their owner unsupervised.
  for (auto& t : tasks_) {
    if (!t.done()) t.cancel();
  }
  if (on_completed_) on_completed_->detach();
}

void TaskGroup::enter() {
  parent_ = current_task();
  if (!parent_) throw RuntimeError("TaskGroup cannot determine the parent task");
  entered_ = true;
}

void TaskGroup::check_can_create() const {
  if (!entered_) throw RuntimeError("TaskGroup has not been entered");
  if (exiting_ && tasks_.empty()) throw RuntimeError("TaskGroup is finished");
  if (aborting_) throw RuntimeError("TaskGroup is shutting down");
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
