#include "runtime/sync/condition.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft {

Condition::Condition(std::string name)
    : name_(std::move(name)), own_lock_(std::make_unique<Lock>(name_)), lock_(own_lock_.get()) {}

Condition::Condition(Lock& lock, std::string name) : name_(std::move(name)), lock_(&lock) {}

Task<Condition::Guard> Condition::scoped() {
  co_await acquire();
  co_return Guard(this);
}

Task<void> Condition::wait() {
  if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
  release();
  auto w = waiters_.add(describer_, "Condition.wait");
  std::exception_ptr error;
  try {
    co_await internal::wait_on(w);
  } catch (...) {
    // Rethrown below, once the lock is held again.
    error = std::current_exception();
  }
  waiters_.remove(w);
  // Re-acquire even when cancelled; a cancellation during re-acquisition is kept and raised
  // afterwards (the most recent one wins, as in asyncio).
  while (true) {
    try {
      co_await acquire();
      break;
    } catch (const CancelledError&) {
      error = std::current_exception();
    } catch (...) {
      notify_wake(1);
      throw;
    }
  }
  if (error) {
    // This task may have been notified before the error: hand the notification on.
    notify_wake(1);
    std::rethrow_exception(error);
  }
}

void Condition::notify(int64_t n) {
  if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
  if (n > 0) notify_wake(static_cast<size_t>(n));
}

void Condition::notify_all() {
  if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
  notify_wake(waiters_.size());
}

void Condition::notify_wake(size_t n) { waiters_.wake_pending(n); }

std::string Condition::describe_wait(const char* op) const {
  return absl::StrCat(op, internal::name_part(name_), " (",
                      internal::count_of(waiters_.pending(), "waiter"), ")");
}

}  // namespace weft
