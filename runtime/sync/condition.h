// weft::Condition: asyncio.Condition. Tasks holding the condition's Lock wait() to be notified;
// wait() releases the lock while waiting and always re-acquires it before returning, even when
// cancelled. The lock is the condition's own, or one shared with other code.
#ifndef WEFT_RUNTIME_SYNC_CONDITION_H_
#define WEFT_RUNTIME_SYNC_CONDITION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "runtime/sync/internal/waiter.h"
#include "runtime/sync/lock.h"
#include "runtime/task.h"

namespace weft {

class Barrier;

class Condition final : public internal::GuardTarget, private internal::WaitDescriber {
 public:
  // Releases the underlying lock when destroyed (see internal::ScopedRelease).
  using Guard = internal::ScopedRelease<Condition>;

  // With its own Lock (named `name` too). `name` appears in deadlock reports
  // ("Condition.wait on 'ready' (2 waiters)").
  explicit Condition(std::string name = {});
  // Bound to `lock`, which must outlive the condition.
  explicit Condition(Lock& lock, std::string name = {});
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // The underlying lock's acquire / release / locked, and a guard for `async with cond`.
  Task<void> acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }
  bool locked() const { return lock_->locked(); }
  Task<Guard> scoped();
  Lock& lock() { return *lock_; }

  // Releases the lock, waits until notified, re-acquires the lock (asyncio returns True).
  // RuntimeError if the lock is not held. When cancelled (or failing) it still re-acquires the
  // lock before raising, and passes its notification on to another waiter (a spurious wake-up,
  // which the condition-variable protocol allows).
  Task<void> wait();
  // Waits until `predicate()` is truthy (checked first, then after each wake-up, with the lock
  // held) and returns its last value. Cancellation as for wait().
  template <class P>
  Task<std::invoke_result_t<P&>> wait_for(P predicate) {
    auto result = predicate();
    while (!result) {
      co_await wait();
      result = predicate();
    }
    co_return result;
  }
  // Wakes up to `n` waiters, oldest first; n <= 0 wakes none (asyncio's loop never starts, so
  // notify(-1) must not wrap to "everyone"). RuntimeError if the lock is not held. A woken
  // waiter returns only once it has re-acquired the lock.
  void notify(int64_t n = 1);
  void notify_all();

  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see internal::WaitDescriber).
  using internal::WaitDescriber::resource_id;

 private:
  friend class Barrier;  // describes the waits on its internal condition itself
  std::string describe_wait(const char* op) const override;
  void notify_wake(size_t n);

  std::string name_;
  std::unique_ptr<Lock> own_lock_;
  Lock* lock_;
  const internal::WaitDescriber* describer_ = this;
  internal::WaiterList waiters_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_CONDITION_H_
