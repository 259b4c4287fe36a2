// weft::Barrier: asyncio.Barrier. `parties` tasks call wait(); each blocks until the last one
// arrives, then all return, each with a distinct arrival index in [0, parties). The barrier then
// drains and refills for the next round. reset() and abort() break it for current waiters
// (BrokenBarrierError); after abort() every wait() raises until reset().
#ifndef WEFT_RUNTIME_SYNC_BARRIER_H_
#define WEFT_RUNTIME_SYNC_BARRIER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/sync/condition.h"
#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"

namespace weft {

class Barrier final : private internal::WaitDescriber {
 public:
  // ValueError("parties must be > 0") if `parties` < 1. Signed, as asyncio's int, so that
  // Barrier(-4) is refused instead of wrapping to 2^64-4. `name` appears in deadlock reports
  // ("Barrier.wait on 'sync' (2/3 waiting, filling)").
  explicit Barrier(int64_t parties, std::string name = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Waits for the round to fill and returns this task's arrival index (0 for the first). Raises
  // BrokenBarrierError if the barrier is broken or reset while waiting. A cancelled wait()
  // withdraws this task from its round (n_waiting() drops by one) and leaves the lock free.
  Task<size_t> wait();
  // Returns the barrier to its empty state; tasks waiting in the current round get
  // BrokenBarrierError. (A coroutine, as in asyncio: it takes the barrier's internal lock.)
  Task<void> reset();
  // Breaks the barrier: current and future wait() calls raise BrokenBarrierError until reset().
  Task<void> abort();

  size_t parties() const { return parties_; }
  // Tasks waiting for the current round to fill.
  size_t n_waiting() const { return state_ == State::kFilling ? count_ : 0; }
  bool broken() const { return state_ == State::kBroken; }
  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see internal::WaitDescriber).
  using internal::WaitDescriber::resource_id;

 private:
  enum class State { kFilling, kDraining, kResetting, kBroken };
  std::string describe_wait(const char* op) const override;
  Task<void> block();
  Task<void> wait_released();
  void exit();

  std::string name_;
  Condition cond_;
  size_t parties_ = 0;
  size_t count_ = 0;
  State state_ = State::kFilling;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_BARRIER_H_
