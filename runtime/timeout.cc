#include "runtime/timeout.h"

#include <cmath>
#include <limits>

#include "runtime/sleep.h"

namespace weft {
namespace internal {
std::optional<int64_t> deadline_after(std::optional<double> delay) {
  if (!delay) return std::nullopt;
  return get_running_loop().time_ns() + delay_to_ns(*delay);
}
std::optional<int64_t> deadline_at(std::optional<double> when) {
  if (!when) return std::nullopt;
  return when_to_ns(*when);
}

int64_t when_to_ns(double when) {
  // llround is unspecified outside int64's range (x86 gives INT64_MIN), which turned a far or
  // infinite deadline into one in the past. Clamp as delay_to_ns does; NaN means now.
  if (std::isnan(when) || when <= -9.2e9) return -kFarNs;
  if (when >= 9.2e9) return kFarNs;
  return static_cast<int64_t>(std::llround(when * 1e9));
}
}  // namespace internal

Timeout::Timeout(EventLoop& loop, std::optional<int64_t> when_ns) : loop_(loop) {
  task_ = loop.current_task();
  if (!task_) throw RuntimeError("Timeout should be used inside a task");
  cancelling_ = task_.cancelling();
  reschedule_ns(when_ns);
}

std::optional<double> Timeout::when() const {
  if (!when_ns_) return std::nullopt;
  if (*when_ns_ >= internal::kFarNs) return std::numeric_limits<double>::infinity();
  return static_cast<double>(*when_ns_) * 1e-9;
}

void Timeout::reschedule(std::optional<double> when) {
  reschedule_ns(when ? std::optional<int64_t>(internal::when_to_ns(*when)) : std::nullopt);
}

void Timeout::reschedule_ns(std::optional<int64_t> when_ns) {
  if (state_ != State::kEntered) {
    throw RuntimeError("Cannot reschedule a Timeout that has expired or exited");
  }
  when_ns_ = when_ns;
  handle_.cancel();
  handle_ = Handle();
  if (!when_ns) return;
  if (*when_ns <= loop_.time_ns()) {
    handle_ = loop_.call_soon([this] { on_timeout(); });
  } else {
    handle_ = loop_.call_at_ns(*when_ns, [this] { on_timeout(); });
  }
}

void Timeout::on_timeout() {
  task_.cancel();
  state_ = State::kExpiring;
  handle_ = Handle();
}

void Timeout::exit(std::exception_ptr error) {
  handle_.cancel();
  handle_ = Handle();
  if (state_ == State::kExpiring) {
    state_ = State::kExpired;
    if (task_.uncancel() <= cancelling_ && is_cancelled_error(error)) throw TimeoutError();
  } else if (state_ == State::kEntered) {
    state_ = State::kExited;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace weft
