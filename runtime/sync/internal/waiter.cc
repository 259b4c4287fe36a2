#include "runtime/sync/internal/waiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/event_loop.h"

namespace weft::internal {

WaitDescriber::WaitDescriber() noexcept {
  if (EventLoop* loop = running_loop_or_null()) resource_id_ = loop->next_resource_id();
}

uint64_t WaitDescriber::resource_id() const noexcept {
  if (resource_id_ == 0) {
    if (EventLoop* loop = running_loop_or_null()) resource_id_ = loop->next_resource_id();
  }
  return resource_id_;
}

std::string SyncWaiter::describe() const {
  if (cancelled()) return absl::StrCat(op_, " (cancelled)");
  if (done()) return absl::StrCat(op_, " (woken)");
  if (!owner_) return absl::StrCat(op_, " (primitive destroyed)");
  return owner_->describe_wait(op_);
}

void SyncWaiter::wake() {
  if (done()) return;
  slot.set();
  mark_finished();
}

WaiterList::~WaiterList() {
  for (auto& w : waiters_) w->detach();
}

Ref<SyncWaiter> WaiterList::add(const WaitDescriber* owner, const char* op) {
  auto w = make_ref<SyncWaiter>(&get_running_loop(), owner, op);
  w->set_resource_id(owner->resource_id());
  waiters_.push_back(w);
  return w;
}

void WaiterList::remove(const Ref<SyncWaiter>& w) {
  auto it = std::find(waiters_.begin(), waiters_.end(), w);
  if (it != waiters_.end()) waiters_.erase(it);
  w->detach();
}

void WaiterList::wake_first() {
  // Cancelled waiters are skipped: normally one unlinks itself when its task resumes, but a
  // killed task (a crashed node) never resumes, and must not hold up the waiters behind it.
  for (auto& w : waiters_) {
    if (w->cancelled()) continue;
    w->wake();  // no-op for a head that was woken already and has not taken its turn yet
    return;
  }
}

bool WaiterList::wake_first_pending() {
  for (auto& w : waiters_) {
    if (!w->done()) {
      w->wake();
      return true;
    }
  }
  return false;
}

bool WaiterList::pop_and_wake_next() {
  while (!waiters_.empty()) {
    Ref<SyncWaiter> w = std::move(waiters_.front());
    waiters_.pop_front();
    w->detach();
    if (!w->done()) {
      w->wake();
      return true;
    }
  }
  return false;
}

size_t WaiterList::wake_pending(size_t n) {
  size_t woken = 0;
  for (auto& w : waiters_) {
    if (woken >= n) break;
    if (!w->done()) {
      w->wake();
      ++woken;
    }
  }
  return woken;
}

void WaiterList::pop_and_wake_all() {
  while (!waiters_.empty()) {
    Ref<SyncWaiter> w = std::move(waiters_.front());
    waiters_.pop_front();
    w->detach();
    w->wake();
  }
}

bool WaiterList::all_cancelled() const {
  return std::all_of(waiters_.begin(), waiters_.end(),
                     [](const Ref<SyncWaiter>& w) { return w->cancelled(); });
}

size_t WaiterList::pending() const {
  return static_cast<size_t>(std::count_if(waiters_.begin(), waiters_.end(),
                                           [](const Ref<SyncWaiter>& w) { return !w->done(); }));
}

std::string name_part(const std::string& name) {
  return name.empty() ? std::string() : absl::StrCat(" on '", name, "'");
}

std::string count_of(size_t n, const char* noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

void report_guard_error(std::exception_ptr e) noexcept {
  try {
    if (EventLoop* loop = running_loop_or_null()) {
      loop->call_exception_handler({"release in a scoped guard failed", std::move(e), {}});
    } else {
      EventLoop::default_exception_handler({"release in a scoped guard failed", std::move(e), {}});
    }
  } catch (...) {
    // Reporting itself failed (out of memory); a destructor has nowhere else to send it.
  }
}

void GuardLink::link(GuardTarget* target) noexcept {
  unlink();
  target_ = target;
  next_ = target->guards_;
  if (next_) next_->prev_ = this;
  target->guards_ = this;
}

void GuardLink::unlink() noexcept {
  if (!target_) return;
  if (prev_) prev_->next_ = next_; else target_->guards_ = next_;
  if (next_) next_->prev_ = prev_;
  target_ = nullptr;
  prev_ = next_ = nullptr;
}

void GuardLink::take(GuardLink& other) noexcept {
  GuardTarget* t = other.target_;
  other.unlink();
  if (t) link(t); else unlink();
}

GuardTarget::~GuardTarget() {
  while (GuardLink* g = guards_) {
    guards_ = g->next_;
    g->target_ = nullptr;
    g->prev_ = g->next_ = nullptr;
  }
}

}  // namespace weft::internal
