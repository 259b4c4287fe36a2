// weft::Lock: asyncio.Lock, a FIFO-fair mutual-exclusion lock for tasks. `co_await lock.acquire()`
// / `lock.release()`, or `auto guard = co_await lock.scoped();` for asyncio's `async with lock`.
// Fair: a task arriving while others wait queues behind them even if the lock is free. Like
// asyncio's, the lock is not owned: any task may release it; the holder is recorded for reports.
#ifndef WEFT_RUNTIME_SYNC_LOCK_H_
#define WEFT_RUNTIME_SYNC_LOCK_H_

#include <string>

#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

class Lock final : public internal::GuardTarget, private internal::WaitDescriber {
 public:
  // Releases the lock when destroyed (see internal::ScopedRelease).
  using Guard = internal::ScopedRelease<Lock>;

  // `name` appears in deadlock reports ("Lock.acquire on 'a' (held by task 'w1', 1 waiter)").
  explicit Lock(std::string name = {}) : name_(std::move(name)) {}
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Takes the lock, waiting in FIFO order while it is held (asyncio returns True). Does not
  // suspend when the lock is free and nobody waits. A cancelled acquire() does not take the
  // lock; if the lock had just been handed to it, it passes the lock on to the next waiter.
  Task<void> acquire();
  // acquire(), then a guard that releases in its destructor.
  Task<Guard> scoped();
  // Frees the lock and wakes the first waiter. RuntimeError if the lock is not held.
  void release();
  bool locked() const { return locked_; }

  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see internal::WaitDescriber).
  using internal::WaitDescriber::resource_id;

 private:
  std::string describe_wait(const char* op) const override;
  void take();

  std::string name_;
  bool locked_ = false;
  AnyTask holder_;  // the task that acquired it last, for reports only
  internal::WaiterList waiters_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_LOCK_H_
