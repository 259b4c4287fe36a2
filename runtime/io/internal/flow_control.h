// FlowControl: asyncio's FlowControlMixin — turns pause_writing / resume_writing into an
// awaitable drain(). Shared by the stream protocol and the subprocess stream protocol.
#ifndef WEFT_RUNTIME_IO_INTERNAL_FLOW_CONTROL_H_
#define WEFT_RUNTIME_IO_INTERNAL_FLOW_CONTROL_H_

#include <deque>
#include <exception>
#include <optional>

#include "runtime/future.h"
#include "runtime/task.h"

namespace weft::io_internal {

class FlowControl {
 public:
  virtual ~FlowControl() = default;
  void flow_pause_writing() { paused_ = true; }
  void flow_resume_writing();
  void flow_connection_lost(std::exception_ptr exc);
  // Returns at once unless writing is paused; then waits for resume_writing or the connection
  // loss (ConnectionResetError("Connection lost") once lost). A cancelled drain leaves no waiter.
  // `resource`: the transport's resource id, which the woken drain's step reports.
  Task<void> drain_helper(uint64_t resource = 0);
  // The future done when the connection is lost (with its exception, if any).
  virtual std::optional<Future<void>> closed_future() { return std::nullopt; }

 private:
  bool paused_ = false;
  bool connection_lost_ = false;
  std::deque<Future<void>> drain_waiters_;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_FLOW_CONTROL_H_
