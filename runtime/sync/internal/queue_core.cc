#include "runtime/sync/internal/queue_core.h"

#include <exception>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft::internal {

QueueCore::~QueueCore() = default;

Task<void> QueueCore::wait_not_full() {
  while (full()) {
    if (shutdown_) throw QueueShutDown();
    auto w = putters_.add(this, "put");
    std::exception_ptr error;
    try {
      co_await wait_on(w);
    } catch (...) {
      // Rethrown below, once the waiter is unlinked and its wake-up passed on.
      error = std::current_exception();
    }
    if (error) {
      w->cancel();  // in case it is still pending
      putters_.remove(w);
      // Woken by a get but not taking the slot: wake the next putter in line instead.
      if (!full() && !w->cancelled()) putters_.pop_and_wake_next();
      std::rethrow_exception(error);
    }
  }
}

Task<void> QueueCore::wait_not_empty() {
  while (empty()) {
    if (shutdown_) throw QueueShutDown();
    auto w = getters_.add(this, "get");
    std::exception_ptr error;
    try {
      co_await wait_on(w);
    } catch (...) {
      // Rethrown below, once the waiter is unlinked and its wake-up passed on.
      error = std::current_exception();
    }
    if (error) {
      w->cancel();
      getters_.remove(w);
      // Woken by a put but not taking the item: wake the next getter in line instead.
      if (!empty() && !w->cancelled()) getters_.pop_and_wake_next();
      std::rethrow_exception(error);
    }
  }
}

void QueueCore::check_put() const {
  if (shutdown_) throw QueueShutDown();
  if (full()) throw QueueFull();
}

void QueueCore::after_put() {
  ++unfinished_;
  getters_.pop_and_wake_next();
}

void QueueCore::check_get() const {
  if (empty()) {
    if (shutdown_) throw QueueShutDown();
    throw QueueEmpty();
  }
}

void QueueCore::after_get() { putters_.pop_and_wake_next(); }

void QueueCore::task_done() {
  if (unfinished_ == 0) throw ValueError("task_done() called too many times");
  if (--unfinished_ == 0) joiners_.pop_and_wake_all();
}

Task<void> QueueCore::join() {
  if (unfinished_ == 0) co_return;
  auto w = joiners_.add(this, "join");
  std::exception_ptr error;
  try {
    co_await wait_on(w);
  } catch (...) {
    // Rethrown below, once the waiter is unlinked.
    error = std::current_exception();
  }
  joiners_.remove(w);
  if (error) std::rethrow_exception(error);
}

void QueueCore::shutdown(bool immediate) {
  shutdown_ = true;
  if (immediate) {
    while (!empty()) {
      drop_one();
      if (unfinished_ > 0) --unfinished_;
    }
    if (unfinished_ == 0) joiners_.pop_and_wake_all();
  }
  // Every blocked getter and putter re-checks and raises QueueShutDown (getters once empty).
  getters_.pop_and_wake_all();
  putters_.pop_and_wake_all();
}

std::string QueueCore::describe_wait(const char* op) const {
  std::string state;
  if (std::string_view(op) == "get") {
    state =
        absl::StrCat(empty() ? "empty" : "not empty", ", ", count_of(getters_.pending(), "getter"));
  } else if (std::string_view(op) == "put") {
    state = absl::StrCat(full() ? "full " : "", size(), "/", maxsize_, ", ",
                         count_of(putters_.pending(), "putter"));
  } else {
    state = absl::StrCat(count_of(unfinished_, "unfinished item"));
  }
  return absl::StrCat(kind_, ".", op, name_part(name_), " (", state, ")");
}

}  // namespace weft::internal
