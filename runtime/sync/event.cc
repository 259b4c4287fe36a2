#include "runtime/sync/event.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace weft {

void Event::set() {
  if (value_) return;
  value_ = true;
  waiters_.wake_pending(waiters_.size());
}

Task<void> Event::wait() {
  if (value_) co_return;
  auto w = waiters_.add(this, "Event.wait");
  std::exception_ptr error;
  try {
    co_await internal::wait_on(w);
  } catch (...) {
    // Rethrown below, once the waiter is unlinked.
    error = std::current_exception();
  }
  waiters_.remove(w);
  if (error) std::rethrow_exception(error);
}

std::string Event::describe_wait(const char* op) const {
  return absl::StrCat(op, internal::name_part(name_), " (", value_ ? "set" : "unset", ", ",
                      internal::count_of(waiters_.pending(), "waiter"), ")");
}

}  // namespace weft
