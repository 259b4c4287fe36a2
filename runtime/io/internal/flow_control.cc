#include "runtime/io/internal/flow_control.h"

#include <errno.h>

#include <algorithm>

#include "runtime/errors.h"
#include "runtime/event_loop.h"

namespace weft::io_internal {

void FlowControl::flow_resume_writing() {
  paused_ = false;
  for (auto& w : drain_waiters_) {
    if (!w.done()) w.set_result();
  }
}

void FlowControl::flow_connection_lost(std::exception_ptr exc) {
  connection_lost_ = true;
  if (!paused_) return;
  for (auto& w : drain_waiters_) {
    if (w.done()) continue;
    if (exc) {
      w.set_exception(exc);
    } else {
      w.set_result();
    }
  }
}

Task<void> FlowControl::drain_helper(uint64_t resource) {
  if (connection_lost_) throw ConnectionResetError(ECONNRESET, "Connection lost");
  if (!paused_) co_return;
  Future<void> waiter(get_running_loop());
  if (resource != 0) waiter.core()->set_resource_id(resource);
  drain_waiters_.push_back(waiter);
  struct Remove {
    std::deque<Future<void>>& list;
    Future<void> w;
    ~Remove() {
      auto it = std::find(list.begin(), list.end(), w);
      if (it != list.end()) list.erase(it);
    }
  } remove{drain_waiters_, waiter};
  co_await waiter;
}

}  // namespace weft::io_internal
