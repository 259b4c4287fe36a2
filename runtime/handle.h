// Handle and TimerHandle: what call_soon / call_later / call_at return (asyncio.Handle,
// asyncio.TimerHandle). cancel() before the callback runs means it never runs.
#ifndef WEFT_RUNTIME_HANDLE_H_
#define WEFT_RUNTIME_HANDLE_H_

#include <cstdint>

#include "runtime/internal/core.h"

namespace weft {

class Handle {
 public:
  Handle() = default;
  explicit Handle(internal::Ref<internal::CallbackState> state) : state_(std::move(state)) {}
  // The callback will not run. Does nothing if it already ran or was cancelled.
  void cancel() {
    if (state_) state_->cancel();
  }
  bool cancelled() const { return state_ && state_->cancelled(); }
  uint64_t id() const { return state_ ? state_->seq : 0; }

 protected:
  internal::Ref<internal::CallbackState> state_;
};

class TimerHandle : public Handle {
 public:
  using Handle::Handle;
  // The scheduled time in the loop's clock, in seconds (asyncio TimerHandle.when()).
  double when() const { return state_ ? static_cast<double>(state_->when_ns) * 1e-9 : 0.0; }
  int64_t when_ns() const { return state_ ? state_->when_ns : 0; }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_HANDLE_H_
