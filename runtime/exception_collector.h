// weft::ExceptionCollector: records what a loop's exception handler receives instead of printing
// it, for tests that expect failures (a server whose connections are reset) and want to assert
// on them. Construct it inside the running main: it becomes the loop's handler.
#ifndef WEFT_RUNTIME_EXCEPTION_COLLECTOR_H_
#define WEFT_RUNTIME_EXCEPTION_COLLECTOR_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/event_loop.h"

namespace weft {

class ExceptionCollector {
 public:
  // Replaces `loop`'s exception handler. The reports stay readable from this object even after
  // the loop closed (close() may still report); the loop keeps collecting after this object is
  // gone, until another handler is set.
  explicit ExceptionCollector(EventLoop& loop = get_running_loop())
      : contexts_(std::make_shared<std::vector<ExceptionContext>>()) {
    loop.set_exception_handler(
        [contexts = contexts_](EventLoop&, const ExceptionContext& c) { contexts->push_back(c); });
  }

  // Every report, in the order they came.
  const std::vector<ExceptionContext>& contexts() const { return *contexts_; }
  // How many reports carry `message` ("Unhandled exception in client_connected_cb").
  size_t count(std::string_view message) const {
    size_t n = 0;
    for (const auto& c : *contexts_) n += c.message == message;
    return n;
  }

 private:
  std::shared_ptr<std::vector<ExceptionContext>> contexts_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EXCEPTION_COLLECTOR_H_
