#include "runtime/sync/lock.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace weft {

void Lock::take() {
  locked_ = true;
  holder_ = current_task();
}

Task<void> Lock::acquire() {
  if (!locked_ && waiters_.all_cancelled()) {
    take();
    co_return;
  }
  auto w = waiters_.add(this, "Lock.acquire");
  std::exception_ptr error;
  try {
    co_await internal::wait_on(w);
  } catch (...) {
    // Rethrown below, after the lock's invariant is restored.
    error = std::current_exception();
  }
  waiters_.remove(w);
  if (error) {
    // Not taking the lock: if it is free, make sure the next waiter (if any) runs. This passes
    // on a lock that release() had just handed to this waiter.
    if (is_cancelled_error(error) && !locked_) waiters_.wake_first();
    std::rethrow_exception(error);
  }
  take();
}

Task<Lock::Guard> Lock::scoped() {
  co_await acquire();
  co_return Guard(this);
}

void Lock::release() {
  if (!locked_) throw RuntimeError("Lock is not acquired.");
  locked_ = false;
  holder_ = AnyTask();
  waiters_.wake_first();
}

std::string Lock::describe_wait(const char* op) const {
  std::string state = !locked_  ? "free"
                      : holder_ ? absl::StrCat("held by task '", holder_.get_name(), "'")
                                : "held";
  return absl::StrCat(op, internal::name_part(name_), " (", state, ", ",
                      internal::count_of(waiters_.pending(), "waiter"), ")");
}

}  // namespace weft
