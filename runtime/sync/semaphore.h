// weft::Semaphore: asyncio.Semaphore. A counter that acquire() decrements, waiting in FIFO order
// while it is zero, and release() increments. `auto guard = co_await sem.scoped();` stands in for
// `async with sem`. BoundedSemaphore (bounded_semaphore.h) refuses to grow past its start value.
#ifndef WEFT_RUNTIME_SYNC_SEMAPHORE_H_
#define WEFT_RUNTIME_SYNC_SEMAPHORE_H_

#include <cstdint>
#include <string>

#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"

namespace weft {

class Semaphore : public internal::GuardTarget, private internal::WaitDescriber {
 public:
  // Calls release() when destroyed (see internal::ScopedRelease).
  using Guard = internal::ScopedRelease<Semaphore>;

  // ValueError if `value` < 0. `name` appears in deadlock reports
  // ("Semaphore.acquire on 'pool' (value 0, 2 waiters)").
  explicit Semaphore(int64_t value = 1, std::string name = {});
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  virtual ~Semaphore() = default;

  // True when acquire() would wait: the value is zero or earlier callers still wait (FIFO).
  bool locked() const;
  // Decrements the value, waiting first while locked() (asyncio returns True). Does not suspend
  // when not locked(). A cancelled acquire() leaves the value as it was: a unit that release()
  // had already handed to it is given back and passed to the next waiter.
  Task<void> acquire();
  // acquire(), then a guard that calls release() in its destructor.
  Task<Guard> scoped();
  // Increments the value and wakes the first waiter that can proceed.
  virtual void release();

  // The counter (asyncio keeps it private as `_value`); a weft addition for tests and reports.
  int64_t value() const { return value_; }
  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see internal::WaitDescriber).
  using internal::WaitDescriber::resource_id;

 protected:
  void release_unchecked();
  virtual const char* kind() const { return "Semaphore"; }

 private:
  std::string describe_wait(const char* op) const override;
  bool wake_up_next();

  std::string name_;
  int64_t value_;
  internal::WaiterList waiters_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_SEMAPHORE_H_
