#include "runtime/sync/barrier.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft {

// parties_ is converted only after the check, so no negative count can wrap.
Barrier::Barrier(int64_t parties, std::string name) : name_(std::move(name)), cond_(name_) {
  if (parties < 1) throw ValueError("parties must be > 0");
  parties_ = static_cast<size_t>(parties);
  cond_.describer_ = this;
}

Task<size_t> Barrier::wait() {
  auto guard = co_await cond_.scoped();
  co_await block();  // wait while a previous round drains or resets
  const size_t index = count_++;
  std::exception_ptr error;
  try {
    if (index + 1 == parties_) {
      // The last arrival releases the round; later arrivals wait until it has drained.
      state_ = State::kDraining;
      cond_.notify_all();
    } else {
      co_await wait_released();
    }
  } catch (...) {
    // Rethrown below, once this task has left the round.
    error = std::current_exception();
  }
  --count_;
  exit();
  if (error) std::rethrow_exception(error);
  co_return index;
}

Task<void> Barrier::block() {
  co_await cond_.wait_for(
      [this] { return state_ != State::kDraining && state_ != State::kResetting; });
  if (state_ == State::kBroken) throw BrokenBarrierError();
}

Task<void> Barrier::wait_released() {
  co_await cond_.wait_for([this] { return state_ != State::kFilling; });
  if (state_ == State::kBroken || state_ == State::kResetting) throw BrokenBarrierError();
}

void Barrier::exit() {
  if (count_ != 0) return;
  if (state_ == State::kResetting || state_ == State::kDraining) state_ = State::kFilling;
  cond_.notify_all();
}

Task<void> Barrier::reset() {
  auto guard = co_await cond_.scoped();
  if (count_ > 0) {
    state_ = State::kResetting;
  } else {
    state_ = State::kFilling;
  }
  cond_.notify_all();
}

Task<void> Barrier::abort() {
  auto guard = co_await cond_.scoped();
  state_ = State::kBroken;
  cond_.notify_all();
}

std::string Barrier::describe_wait(const char*) const {
  const char* state = state_ == State::kFilling     ? "filling"
                      : state_ == State::kDraining  ? "draining"
                      : state_ == State::kResetting ? "resetting"
                                                    : "broken";
  return absl::StrCat("Barrier.wait", internal::name_part(name_), " (", n_waiting(), "/", parties_,
                      " waiting, ", state, ")");
}

}  // namespace weft
