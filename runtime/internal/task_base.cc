#include "runtime/internal/task_base.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"

namespace weft::internal {

void throw_task_reused(const char* where, bool has_coroutine) {
  if (has_coroutine) {
    throw RuntimeError(absl::StrCat(
        where, ": cannot reuse already awaited Task (a Task runs once; to await one result from "
        "several places, create_task it and await the handle)"));
  }
  throw RuntimeError(absl::StrCat(
      where, ": empty Task (moved from, or already handed to create_task)"));
}

TaskBase::TaskBase(EventLoop* loop, std::coroutine_handle<> root, std::string name)
    : FutureCore(loop, Kind::kTask), root_(root) {
  set_name(std::move(name));
}

std::string TaskBase::take_pending_message() {
  if (!pending_cancel_message_) return {};
  std::string msg = std::move(*pending_cancel_message_);
  pending_cancel_message_.reset();
  return msg;
}

TaskBase::~TaskBase() {
  destroy_frame();
  if (loop_) {
    if (exception_retrieved() == false && peek_exception() && !cancelled()) {
      loop_->call_exception_handler(
          {"Task exception was never retrieved", peek_exception(), name()});
    }
    loop_->unregister_live(this);
  }
}

std::string TaskBase::name() const {
  return name_ ? *name_ : absl::StrCat("Task-", id_);
}

std::string TaskBase::describe() const { return absl::StrCat("Task '", name(), "'"); }

std::string TaskBase::waiting_on() const {
  if (waiter_) return waiter_->describe();
  if (!started_) return "nothing (not started)";
  return "nothing (ready to run)";
}

void TaskBase::run(std::coroutine_handle<> h) {
  if (!root_ || done()) return;
  if (!started_) {
    started_ = true;
    if (must_cancel_) {
      // Cancelled before its first step: the body never runs (asyncio throws CancelledError in
      // at the first step, which ends the coroutine at once).
      must_cancel_ = false;
      destroy_frame();
      finish(std::make_exception_ptr(CancelledError(take_pending_message())));
      return;
    }
  }
  EventLoop* loop = loop_;
  TaskBase* previous = loop->current_task_;
  loop->current_task_ = this;
  if (auto* obs = loop->observer()) obs->on_task_step(id_, loop->step_resource());
  h.resume();
  loop->current_task_ = previous;
}

bool TaskBase::cancel(std::string msg) {
  if (done()) return false;
  ++cancel_requests_;
  if (waiter_ && waiter_->cancel(msg)) return true;
  must_cancel_ = true;
  if (!msg.empty()) pending_cancel_message_ = std::make_unique<std::string>(std::move(msg));
  return true;
}

int TaskBase::uncancel() noexcept {
  if (cancel_requests_ > 0) --cancel_requests_;
  if (cancel_requests_ == 0) must_cancel_ = false;
  return cancel_requests_;
}

void TaskBase::cancel_waiter_now() {
  if (!waiter_) return;
  const std::string msg = pending_cancel_message_ ? *pending_cancel_message_ : std::string();
  if (waiter_->cancel(msg)) {
    must_cancel_ = false;
    pending_cancel_message_.reset();
  }
}

void TaskBase::throw_if_must_cancel() {
  if (!must_cancel_) return;
  must_cancel_ = false;
  throw CancelledError(take_pending_message());
}

void TaskBase::yield(std::coroutine_handle<> h) { loop_->schedule(this, h); }

void TaskBase::destroy_frame() noexcept {
  if (root_) {
    auto root = std::exchange(root_, {});
    root.destroy();
  }
}

void TaskBase::kill(std::string msg) {
  if (done()) return;
  Ref<TaskBase> keep(this);  // finish() drops the registry's reference
  if (FutureCore* w = std::exchange(waiter_, nullptr); w && w->kind() != Kind::kTask) w->cancel();
  must_cancel_ = false;
  started_ = true;
  destroy_frame();
  finish(std::make_exception_ptr(CancelledError(std::move(msg))));
}

void TaskBase::finish(std::exception_ptr error) {
  EventLoop* loop = loop_;
  waiter_ = nullptr;
  // Read before `error` is moved into the task below.
  const bool failed = error != nullptr;
  if (!error && must_cancel_) {
    // Returned with a cancellation still pending (it cancelled itself and never suspended
    // again): asyncio's Task.__step ends such a task cancelled, dropping its value. A raised
    // exception (the branch below) wins over the pending cancellation, as there.
    must_cancel_ = false;
    mark_cancelled(take_pending_message());
  } else if (!error) {
    mark_finished();
  } else {
    // One rethrow both classifies the outcome and reads a cancellation's message: unwinding is
    // most of what a cancelled task costs, so it is not done twice.
    std::optional<std::string> cancel_message;
    try {
      std::rethrow_exception(error);
    } catch (const CancelledError& c) {
      cancel_message = c.message();
    } catch (...) {
      // Only classifying: the exception stays in `error` and is stored below.
    }
    if (cancel_message) {
      mark_cancelled(std::move(*cancel_message));
    } else {
      set_exception(std::move(error));
    }
  }
  if (auto* obs = loop->observer()) {
    obs->on_task_done(id_, cancelled() ? TaskOutcome::kCancelled
                           : failed    ? TaskOutcome::kException
                                       : TaskOutcome::kResult);
  }
  loop->unregister_pending(this);
}

}  // namespace weft::internal
