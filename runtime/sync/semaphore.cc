#include "runtime/sync/semaphore.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft {

Semaphore::Semaphore(int64_t value, std::string name) : name_(std::move(name)), value_(value) {
  if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

bool Semaphore::locked() const { return value_ == 0 || !waiters_.all_cancelled(); }

Task<void> Semaphore::acquire() {
  if (!locked()) {
    --value_;
    co_return;
  }
  // describe_wait() prefixes the subclass's kind, so the label is the operation only.
  auto w = waiters_.add(this, "acquire");
  std::exception_ptr error;
  try {
    co_await internal::wait_on(w);
  } catch (...) {
    // Rethrown below, after the count is repaired and waiters are woken.
    error = std::current_exception();
  }
  waiters_.remove(w);
  if (error && is_cancelled_error(error) && w->done() && !w->cancelled()) {
    // release() gave this waiter a unit (and decremented for it), but it will not use it.
    ++value_;
  }
  // Waiters that arrived meanwhile had to queue behind us (FIFO): wake as many as may go.
  while (value_ > 0) {
    if (!wake_up_next()) break;
  }
  if (error) std::rethrow_exception(error);
}

Task<Semaphore::Guard> Semaphore::scoped() {
  co_await acquire();
  co_return Guard(this);
}

void Semaphore::release() { release_unchecked(); }

void Semaphore::release_unchecked() {
  ++value_;
  wake_up_next();
}

bool Semaphore::wake_up_next() {
  // The unit is reserved for the woken waiter now, so a newcomer cannot take it first.
  if (!waiters_.wake_first_pending()) return false;
  --value_;
  return true;
}

std::string Semaphore::describe_wait(const char* op) const {
  return absl::StrCat(kind(), ".", op, internal::name_part(name_), " (value ", value_, ", ",
                      internal::count_of(waiters_.pending(), "waiter"), ")");
}

}  // namespace weft
