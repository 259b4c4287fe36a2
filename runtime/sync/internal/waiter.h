// The machinery every weft::sync primitive waits with: a waiter future that describes itself for
// the simulated loop's deadlock report, a FIFO list of such waiters, and the scoped guard that
// stands in for `async with`. Users see these only through the primitives.
#ifndef WEFT_RUNTIME_SYNC_INTERNAL_WAITER_H_
#define WEFT_RUNTIME_SYNC_INTERNAL_WAITER_H_

#include <cstddef>
#include <deque>
#include <exception>
#include <string>
#include <utility>

#include "runtime/future.h"
#include "runtime/internal/core.h"
#include "runtime/internal/ref.h"

namespace weft::internal {

// Implemented by each primitive: says what a task waiting in `op` ("Lock.acquire") is waiting
// for, with the primitive's current state; and holds the primitive's resource id.
class WaitDescriber {
 public:
  virtual std::string describe_wait(const char* op) const = 0;

  // The primitive's loop-issued resource id (DESIGN.md §5): every wake-up it causes carries it,
  // so LoopObserver::on_task_step reports it for the woken task's step. Issued by the loop
  // running when the primitive is constructed; a primitive built outside a loop gets one from
  // the loop running at its first wait (or at this call); 0 until then.
  uint64_t resource_id() const noexcept;

 protected:
  WaitDescriber() noexcept;
  WaitDescriber(const WaitDescriber&) = delete;
  WaitDescriber& operator=(const WaitDescriber&) = delete;
  ~WaitDescriber() = default;

 private:
  mutable uint64_t resource_id_ = 0;  // issued lazily when no loop ran at construction
};

// The future a task awaits inside a primitive (asyncio's `fut = loop.create_future()`).
// describe() asks the owning primitive while the waiter is pending; a primitive detaches its
// pending waiters when it is destroyed, so a stale waiter never reads freed memory.
class SyncWaiter final : public FutureState<void> {
 public:
  SyncWaiter(EventLoop* loop, const WaitDescriber* owner, const char* op)
      : FutureState<void>(loop), owner_(owner), op_(op) {}
  std::string describe() const override;
  // Completes a pending waiter (no-op when done): asyncio's `fut.set_result(...)`.
  void wake();
  void detach() noexcept { owner_ = nullptr; }

 private:
  const WaitDescriber* owner_;
  const char* op_;
};

// Suspends the current task on `w`; throws CancelledError if the task is cancelled meanwhile.
inline auto wait_on(const Ref<SyncWaiter>& w) { return StateAwaiter<void, false, SyncWaiter>(w); }

// A FIFO of waiters (asyncio's `_waiters` deque). Detaches every waiter when destroyed.
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  ~WaiterList();

  // Appends a new waiter on the running loop (RuntimeError outside one), stamped with the
  // owner's resource id: the task it wakes reports the primitive.
  Ref<SyncWaiter> add(const WaitDescriber* owner, const char* op);
  // Removes `w` if present (it may have been popped already).
  void remove(const Ref<SyncWaiter>& w);
  // Wakes the first waiter that is not cancelled, if it is not woken yet (asyncio
  // Lock._wake_up_first, skipping cancelled waiters so a killed task cannot block the list).
  void wake_first();
  // Wakes the first waiter that is not done, leaving it in the list; false if there is none.
  bool wake_first_pending();
  // Pops waiters until one that is not done was woken (asyncio Queue._wakeup_next).
  bool pop_and_wake_next();
  // Wakes up to `n` pending waiters, in order, leaving them in the list; returns how many.
  size_t wake_pending(size_t n);
  // Pops every waiter, waking those still pending.
  void pop_and_wake_all();
  // True when every waiter is cancelled (or there is none).
  bool all_cancelled() const;
  // Waiters not yet done (the ones a deadlock report counts).
  size_t pending() const;
  size_t size() const { return waiters_.size(); }
  bool empty() const { return waiters_.empty(); }

 private:
  std::deque<Ref<SyncWaiter>> waiters_;
};

// "on 'name' " or "" for an unnamed primitive; "1 waiter" / "2 waiters".
std::string name_part(const std::string& name);
std::string count_of(size_t n, const char* noun);

// Reports an error thrown while a guard released in its destructor (no exception may leave a
// destructor) to the running loop's exception handler.
void report_guard_error(std::exception_ptr e) noexcept;

class GuardTarget;

// A scoped guard's place on its primitive's list of guards (see GuardTarget).
class GuardLink {
 public:
  GuardLink() = default;
  GuardLink(const GuardLink&) = delete;
  GuardLink& operator=(const GuardLink&) = delete;
  ~GuardLink() { unlink(); }

  // The primitive, or null when unlinked or when the primitive was destroyed first.
  GuardTarget* target() const noexcept { return target_; }
  void link(GuardTarget* target) noexcept;
  void unlink() noexcept;
  // Takes over `other`'s primitive (and place); `other` ends unlinked.
  void take(GuardLink& other) noexcept;

 private:
  friend class GuardTarget;
  GuardTarget* target_ = nullptr;
  GuardLink* prev_ = nullptr;
  GuardLink* next_ = nullptr;
};

// Base of every primitive a ScopedRelease releases (Lock, Semaphore, Condition). Destroying the
// primitive while guards still refer to it unlinks them, and they release nothing: that happens
// when the task that owned the primitive ended (main failed) while another task still held it,
// and the holder's frame is destroyed afterwards. No public members.
class GuardTarget {
 public:
  GuardTarget() = default;
  GuardTarget(const GuardTarget&) = delete;
  GuardTarget& operator=(const GuardTarget&) = delete;

 protected:
  ~GuardTarget();

 private:
  friend class GuardLink;
  GuardLink* guards_ = nullptr;
};

// The `async with` stand-in: releases `P` (Lock, Semaphore, Condition) when destroyed.
// Move-only; release() gives the primitive back early. A guard whose primitive was destroyed
// first releases nothing.
template <class P>
class [[nodiscard]] ScopedRelease {
 public:
  ScopedRelease() = default;
  explicit ScopedRelease(P* p) {
    if (p) link_.link(p);
  }
  ScopedRelease(ScopedRelease&& o) noexcept { link_.take(o.link_); }
  ScopedRelease& operator=(ScopedRelease&& o) noexcept {
    if (this != &o) {
      reset();
      link_.take(o.link_);
    }
    return *this;
  }
  ~ScopedRelease() { reset(); }

  // Releases now (may throw what P::release throws); the destructor then does nothing.
  void release() {
    if (GuardTarget* t = link_.target()) {
      link_.unlink();
      static_cast<P*>(t)->release();
    }
  }
  bool owns() const noexcept { return link_.target() != nullptr; }

 private:
  void reset() noexcept {
    try {
      release();
    } catch (...) {
      // Handed to the loop's exception handler: nothing is swallowed silently.
      report_guard_error(std::current_exception());
    }
  }
  GuardLink link_;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_SYNC_INTERNAL_WAITER_H_
