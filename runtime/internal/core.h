// The loop-independent building blocks every awaitable rests on: a Runnable (what a ready-queue
// entry runs), a callback with its cancel flag (asyncio's Handle), and FutureCore, the untyped
// state of every Future and Task. Users see these only through Future<T>, TaskHandle<T>, Handle.
#ifndef WEFT_RUNTIME_INTERNAL_CORE_H_
#define WEFT_RUNTIME_INTERNAL_CORE_H_

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "runtime/internal/ref.h"

namespace weft {
class EventLoop;
}

namespace weft::internal {

class TaskBase;

// What a ready-queue entry runs. Tasks resume the coroutine handle stored in the entry;
// callbacks ignore it.
class Runnable : public RefCounted {
 public:
  // What the ready queue holds, so the loop can tell without a dynamic_cast.
  enum class Kind : uint8_t { kOther, kTask, kCallback, kTimerFuture };
  explicit Runnable(Kind kind = Kind::kOther) : kind_(kind) {}
  virtual void run(std::coroutine_handle<> h) = 0;
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// A scheduled callback: asyncio's Handle / TimerHandle. `when_ns` and `seq` order the timer heap.
// Not final: a future's done callback is one object that is both this and its DoneNode.
class CallbackState : public Runnable {
  // The two flags come first so that they fill the Runnable's tail padding (the Itanium ABI lays
  // a derived class's members there): the resource id below then costs no bytes.
 public:
  bool in_heap = false;

 private:
  bool cancelled_ = false;

 public:
  explicit CallbackState(absl::AnyInvocable<void()> fn)
      : Runnable(Kind::kCallback), fn_(std::move(fn)) {}
  void run(std::coroutine_handle<>) override;
  bool cancelled() const noexcept { return cancelled_; }
  // Drops the callable at once, so captured state is released even if the entry stays queued.
  void cancel() noexcept;

  int64_t when_ns = 0;
  uint64_t seq = 0;
  // Timers only: the resource id the timer's ready entry carries when it is due (DESIGN.md §5):
  // the timer's own loop-issued id, or the resource it was armed for (call_at_ns_for).
  uint64_t resource = 0;
  EventLoop* loop = nullptr;  // set for timers, so cancel() can count cancelled heap entries

 private:
  absl::AnyInvocable<void()> fn_;
};

class FutureCore;

// A node on a future's done list. Awaiters embed one (it lives in the waiting coroutine's frame,
// so waiting allocates nothing); destroying a linked node unlinks it, so a frame destroyed while
// waiting leaves nothing dangling.
class DoneNode {
 public:
  DoneNode() = default;
  DoneNode(const DoneNode&) = delete;
  DoneNode& operator=(const DoneNode&) = delete;
  // Called once when the future completes, in registration order. Must only schedule work.
  virtual void on_done(FutureCore& f) = 0;
  bool linked() const noexcept { return owner_ != nullptr; }
  void unlink() noexcept;

 protected:
  ~DoneNode() { unlink(); }

 private:
  friend class FutureCore;
  DoneNode* prev_ = nullptr;
  DoneNode* next_ = nullptr;
  FutureCore* owner_ = nullptr;
};

enum class FutureStatus : uint8_t { kPending, kCancelled, kFinished };

// The untyped part of a Future: status, exception, done callbacks, owning loop.
// Typed values live in FutureState<T> / TaskState<T>.
class FutureCore : public Runnable {
  // Declared first so that they fill the Runnable's tail padding (the Itanium ABI lays a derived
  // class's members there): this keeps resource_id_ below from growing every future and task.
  FutureStatus status_ = FutureStatus::kPending;
  bool retrieved_ = false;

 public:
  explicit FutureCore(EventLoop* loop, Kind kind = Kind::kOther) : Runnable(kind), loop_(loop) {}
  ~FutureCore() override;

  EventLoop* loop() const noexcept { return loop_; }
  bool done() const noexcept { return status_ != FutureStatus::kPending; }
  bool cancelled() const noexcept { return status_ == FutureStatus::kCancelled; }
  FutureStatus status() const noexcept { return status_; }

  // asyncio Future.cancel: false if already done; otherwise marks cancelled and schedules the
  // callbacks. Tasks and gathering futures override it.
  virtual bool cancel(std::string msg = {});

  // Throws CancelledError if cancelled, InvalidStateError if pending, the stored exception if
  // any; marks the exception retrieved.
  void check_result();
  // asyncio Future.exception(): the exception (or null); throws if cancelled or pending.
  std::exception_ptr exception();
  // The stored exception without marking it retrieved (null if none).
  const std::exception_ptr& peek_exception() const noexcept { return exception_; }

  // Throws InvalidStateError if done; stores `e` (a CancelledError makes this a plain failed
  // future, as asyncio's set_exception does) and schedules the callbacks.
  void set_exception(std::exception_ptr e);
  // Throws InvalidStateError if done. The typed value must already be stored.
  void mark_finished();
  void throw_if_done(const char* what) const;

  // RuntimeError if the loop has closed and detached this state (tasks only; see close()).
  void throw_if_detached(const char* what) const;

  // Schedules `fn` with call_soon when done (at once if already done). RuntimeError once the
  // loop has closed.
  void add_done_callback(absl::AnyInvocable<void()> fn);
  // The same, with the future handed to `fn` when it runs: use it instead of capturing a
  // reference to the future in `fn`, which would keep a never-completed future alive forever.
  void add_done_callback_with_future(absl::AnyInvocable<void(FutureCore&)> fn);
  void link(DoneNode* node) noexcept;
  // Drops every pending callback without running it (loop close, killed tasks).
  void clear_callbacks() noexcept;
  bool has_callbacks() const noexcept { return head_ != nullptr; }

  const std::string& cancel_message() const noexcept {
    return cancel_message_ ? *cancel_message_ : empty_string();
  }
  static const std::string& empty_string() noexcept;
  bool exception_retrieved() const noexcept { return retrieved_; }
  void mark_retrieved() noexcept { retrieved_ = true; }

  // Futures are not run by the ready queue; tasks override this with one step.
  void run(std::coroutine_handle<>) override {}

  // What a task waiting on this future is waiting for, for deadlock reports.
  virtual std::string describe() const;
  // A static label used by describe() ("sleep", "Lock.acquire", ...).
  void set_label(const char* label) noexcept { label_ = label; }
  const char* label() const noexcept { return label_; }

  // The loop-issued resource id (DESIGN.md §5) that a task woken by this future reports
  // (LoopObserver::on_task_step), and that its done callbacks' ready entries carry. The future's
  // own id, issued by its loop the first time it is needed (a waiter or callback is scheduled,
  // or this is called), unless whoever created the future stamped it with the id of the
  // resource it stands for (a Lock's waiter carries the lock's id, a stream read's waiter its
  // connection's). 0 once the loop has detached the future.
  uint64_t resource_id() noexcept { return resource_id_ ? resource_id_ : issue_resource_id(); }
  // Stamps the future with `id` (see resource_id()); before it completes.
  void set_resource_id(uint64_t id) noexcept { resource_id_ = id; }

 protected:
  void mark_cancelled(std::string msg);
  void schedule_callbacks() noexcept;
  EventLoop* loop_;

 private:
  friend class DoneNode;
  std::exception_ptr exception_;
  // Out of line: most futures are never cancelled with a message (keeps every future small).
  std::unique_ptr<std::string> cancel_message_;
  uint64_t issue_resource_id() noexcept;
  DoneNode* head_ = nullptr;
  DoneNode* tail_ = nullptr;
  const char* label_ = nullptr;
  // See resource_id(). 48 bits, so that it ends 2 bytes short of the word and FutureState<void>'s
  // flag fits in the rest: no future grows for it. A loop issuing a billion ids a second would
  // wrap it after three days.
  uint64_t resource_id_ : 48 = 0;
};

// A future that the loop's timer heap completes at `when_ns` (sleep's): the future and its timer
// in one object, so a sleep allocates once. Armed with EventLoop::arm_timer; when due it is run
// from the ready queue like a timer callback (same order, same observer events), and completes
// the future unless it is already done or was disarmed.
class TimerFuture : public FutureCore {
 public:
  TimerFuture(EventLoop* loop, int64_t when_ns)
      : FutureCore(loop, Kind::kTimerFuture), when_ns_(when_ns) {}
  int64_t when_ns() const noexcept { return when_ns_; }
  // The timer id (from the loop's callback sequence), set by arm_timer.
  uint64_t seq() const noexcept { return seq_; }
  // The timer will not complete the future any more (its awaiter is done with it).
  void disarm() noexcept;
  bool disarmed() const noexcept { return disarmed_; }
  void run(std::coroutine_handle<>) override;

 private:
  friend class weft::EventLoop;
  int64_t when_ns_;
  uint64_t seq_ = 0;
  bool in_heap_ = false;
  bool disarmed_ = false;
};

// Waits on a FutureCore from inside a task: links itself to the future's done list and records
// the future as the task's waiter, so cancelling the task cancels the future (asyncio's
// _fut_waiter). After resumption, resume() delivers a cancellation that arrived meanwhile.
class FutureWaiter : public DoneNode {
 public:
  explicit FutureWaiter(FutureCore* f) : future_(f) {}
  ~FutureWaiter();
  // Suspends the current task on the future. Throws RuntimeError outside a task, when the
  // future's loop has closed (a task of a closed loop), or when the current task runs on another
  // loop than the future's (asyncio: "got Future attached to a different loop").
  void suspend(std::coroutine_handle<> h);
  // Call first in await_resume: throws CancelledError if the task's cancellation is pending.
  void resume();
  void on_done(FutureCore& f) override;
  FutureCore* future() const noexcept { return future_; }

 private:
  FutureCore* future_;
  TaskBase* task_ = nullptr;
  std::coroutine_handle<> handle_;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_CORE_H_
