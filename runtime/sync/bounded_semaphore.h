// weft::BoundedSemaphore: asyncio.BoundedSemaphore. A Semaphore whose release() raises ValueError
// instead of raising the value above its initial value, which catches a release too many.
#ifndef WEFT_RUNTIME_SYNC_BOUNDED_SEMAPHORE_H_
#define WEFT_RUNTIME_SYNC_BOUNDED_SEMAPHORE_H_

#include <cstdint>
#include <string>

#include "runtime/errors.h"
#include "runtime/sync/semaphore.h"

namespace weft {

class BoundedSemaphore final : public Semaphore {
 public:
  using Guard = internal::ScopedRelease<BoundedSemaphore>;

  // ValueError if `value` < 0.
  explicit BoundedSemaphore(int64_t value = 1, std::string name = {})
      : Semaphore(value, std::move(name)), bound_(value) {}

  // acquire(), then a guard that calls release() in its destructor.
  Task<Guard> scoped() {
    co_await acquire();
    co_return Guard(this);
  }
  // ValueError("BoundedSemaphore released too many times") when the value is at its bound.
  void release() override {
    if (value() >= bound_) throw ValueError("BoundedSemaphore released too many times");
    release_unchecked();
  }

 protected:
  const char* kind() const override { return "BoundedSemaphore"; }

 private:
  int64_t bound_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_BOUNDED_SEMAPHORE_H_
