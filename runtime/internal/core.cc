#include "runtime/internal/core.h"

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/internal/task_base.h"

namespace weft::internal {

void CallbackState::run(std::coroutine_handle<>) {
  if (cancelled_) return;
  // Take the callable out first: a callback may cancel its own handle, and a one-shot callback
  // should release what it captured as soon as it has run.
  auto fn = std::move(fn_);
  cancelled_ = true;  // ran: a later cancel() is a no-op, as for asyncio handles
  fn();
}

void CallbackState::cancel() noexcept {
  if (cancelled_) return;
  cancelled_ = true;
  fn_ = nullptr;
  if (in_heap && loop) loop->note_timer_cancelled(seq);
}

void TimerFuture::disarm() noexcept {
  if (disarmed_) return;
  disarmed_ = true;
  if (in_heap_ && loop_) loop_->note_timer_cancelled(seq_);
}

void TimerFuture::run(std::coroutine_handle<>) {
  if (disarmed_ || done()) return;
  mark_finished();
}

void DoneNode::unlink() noexcept {
  if (!owner_) return;
  if (prev_) prev_->next_ = next_; else owner_->head_ = next_;
  if (next_) next_->prev_ = prev_; else owner_->tail_ = prev_;
  prev_ = next_ = nullptr;
  owner_ = nullptr;
}

FutureCore::~FutureCore() { clear_callbacks(); }

uint64_t FutureCore::issue_resource_id() noexcept {
  if (loop_) resource_id_ = loop_->next_resource_id();
  return resource_id_;
}

const std::string& FutureCore::empty_string() noexcept {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

bool FutureCore::cancel(std::string msg) {
  if (done()) return false;
  mark_cancelled(std::move(msg));
  return true;
}

void FutureCore::mark_cancelled(std::string msg) {
  status_ = FutureStatus::kCancelled;
  if (!msg.empty()) cancel_message_ = std::make_unique<std::string>(std::move(msg));
  schedule_callbacks();
}

void FutureCore::check_result() {
  if (status_ == FutureStatus::kCancelled) throw CancelledError(cancel_message());
  if (status_ == FutureStatus::kPending) throw InvalidStateError("Result is not ready.");
  retrieved_ = true;
  if (exception_) std::rethrow_exception(exception_);
}

std::exception_ptr FutureCore::exception() {
  if (status_ == FutureStatus::kCancelled) throw CancelledError(cancel_message());
  if (status_ == FutureStatus::kPending) throw InvalidStateError("Exception is not set.");
  retrieved_ = true;
  return exception_;
}

void FutureCore::throw_if_done(const char* what) const {
  if (done()) {
    throw InvalidStateError(absl::StrCat(what, ": invalid state (",
                                         cancelled() ? "cancelled" : "finished", ")"));
  }
}

void FutureCore::throw_if_detached(const char* what) const {
  if (!loop_) [[unlikely]] {
    throw RuntimeError(absl::StrCat(what, " on ", describe(), " whose event loop is closed"));
  }
}

void FutureCore::set_exception(std::exception_ptr e) {
  throw_if_done("set_exception");
  if (!e) throw ValueError("set_exception: null exception");
  exception_ = std::move(e);
  status_ = FutureStatus::kFinished;
  schedule_callbacks();
}

void FutureCore::mark_finished() {
  status_ = FutureStatus::kFinished;
  schedule_callbacks();
}

namespace {
// add_done_callback's node in one allocation: linked on the future's done list while the future
// is pending, then queued itself as the callback that runs `fn` (a CallbackState with id 0, as
// the separate node-then-callback pair it replaces was).
class DoneCallback final : public CallbackState, public DoneNode {
 public:
  explicit DoneCallback(absl::AnyInvocable<void()> fn) : CallbackState(std::move(fn)) {
    add_ref();  // the done list's reference
  }
  void on_done(FutureCore& f) override {
    // The ready queue takes its own reference; the entry carries the future's resource.
    f.loop()->schedule(this, {}, f.resource_id());
    release();
  }
  void drop() { release(); }
};

// add_done_callback_with_future's node: like DoneCallback, but the callable is handed the future
// when it runs instead of capturing it, so a future that never completes does not keep itself
// alive through its own callback. From completion until the callback has run, the node holds the
// future.
class FutureDoneCallback final : public CallbackState, public DoneNode {
 public:
  explicit FutureDoneCallback(absl::AnyInvocable<void(FutureCore&)> fn)
      : CallbackState([this] { fn_(*future_); }), fn_(std::move(fn)) {
    add_ref();  // the done list's reference
  }
  void on_done(FutureCore& f) override {
    future_ = Ref<FutureCore>(&f);
    f.loop()->schedule(this, {}, f.resource_id());
    release();
  }
  void drop() { release(); }

 private:
  absl::AnyInvocable<void(FutureCore&)> fn_;
  Ref<FutureCore> future_;
};
}  // namespace

void FutureCore::add_done_callback(absl::AnyInvocable<void()> fn) {
  throw_if_detached("add_done_callback");
  if (done()) {
    loop_->call_soon_for(resource_id(), std::move(fn));
    return;
  }
  link(new DoneCallback(std::move(fn)));
}

void FutureCore::add_done_callback_with_future(absl::AnyInvocable<void(FutureCore&)> fn) {
  throw_if_detached("add_done_callback");
  if (done()) {
    auto run = [fn = std::move(fn), self = Ref<FutureCore>(this)]() mutable { fn(*self); };
    loop_->call_soon_for(resource_id(), std::move(run));
    return;
  }
  link(new FutureDoneCallback(std::move(fn)));
}

void FutureCore::link(DoneNode* node) noexcept {
  node->owner_ = this;
  node->prev_ = tail_;
  node->next_ = nullptr;
  if (tail_) tail_->next_ = node; else head_ = node;
  tail_ = node;
}

void FutureCore::schedule_callbacks() noexcept {
  // Keep this future alive while callbacks are handed out; on_done may drop the last reference.
  Ref<FutureCore> self(this);
  while (DoneNode* node = head_) {
    node->unlink();
    node->on_done(*this);
  }
}

void FutureCore::clear_callbacks() noexcept {
  while (DoneNode* node = head_) {
    node->unlink();
    if (auto* heap = dynamic_cast<DoneCallback*>(node)) {
      heap->drop();
    } else if (auto* with_future = dynamic_cast<FutureDoneCallback*>(node)) {
      with_future->drop();
    }
  }
}

std::string FutureCore::describe() const {
  if (label_) return label_;
  return "Future";
}

FutureWaiter::~FutureWaiter() {
  if (task_ && task_->waiter() == future_) task_->set_waiter(nullptr);
}

namespace {
// Why a future cannot be awaited here: its loop closed (a task's loop pointer is cleared then),
// no task runs on this thread, or the running task belongs to another loop. The foreign loop is
// never dereferenced: it may be gone.
[[noreturn]] void throw_cannot_wait(const FutureCore& f) {
  if (!f.loop()) {
    throw RuntimeError(absl::StrCat("awaiting ", f.describe(), " whose event loop is closed"));
  }
  EventLoop* running = running_loop_or_null();
  TaskBase* task = running ? running->current_task_raw() : nullptr;
  if (!task) throw RuntimeError("co_await on a weft future outside a task");
  throw RuntimeError(absl::StrCat("awaiting ", f.describe(),
                                  " attached to a different loop (in task '", task->name(),
                                  "'; a future or task belongs to the loop that created it)"));
}
}  // namespace

void FutureWaiter::suspend(std::coroutine_handle<> h) {
  // The future's loop has a current task only while it runs, and then (on this thread) it is the
  // running loop: the one check covers the ordinary case.
  EventLoop* loop = future_->loop();
  TaskBase* task = loop ? loop->current_task_raw() : nullptr;
  if (!task) [[unlikely]] throw_cannot_wait(*future_);
  if (task == future_) throw RuntimeError("Task cannot await on itself");
  task_ = task;
  handle_ = h;
  future_->link(this);
  task->set_waiter(future_);
  // A cancellation requested during this step cancels what the task now waits on.
  if (task->must_cancel()) task->cancel_waiter_now();
}

void FutureWaiter::resume() {
  if (!task_) return;
  task_->set_waiter(nullptr);
  task_->throw_if_must_cancel();
}

// The task wakes with the future's resource: what completed it (DESIGN.md §5).
void FutureWaiter::on_done(FutureCore& f) { f.loop()->schedule(task_, handle_, f.resource_id()); }

}  // namespace weft::internal
