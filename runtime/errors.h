// The exception types of weft's coroutine APIs, shaped after asyncio's (DESIGN.md §1).
// CancelledError deliberately does not derive from std::exception: `catch (const
// std::exception&)` must not swallow a cancellation, as asyncio made it a BaseException.
#ifndef WEFT_RUNTIME_ERRORS_H_
#define WEFT_RUNTIME_ERRORS_H_

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace weft {

// Raised inside a task at the suspension point where its cancellation arrives.
class CancelledError {
 public:
  explicit CancelledError(std::string message = {}) : message_(std::move(message)) {}
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept { return message_.empty() ? "CancelledError" : message_.c_str(); }

 private:
  std::string message_;
};

// asyncio raises RuntimeError for misuse of a loop ("no running event loop", "Event loop is
// closed", "This event loop is already running").
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A Future or Task used in a state that does not allow the call (result of a pending future,
// set_result on a done one).
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// A deadline passed: wait_for, timeout scopes, as_completed.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("TimeoutError") {}
  using std::runtime_error::runtime_error;
};

// A bad argument value (asyncio's ValueError, e.g. task_done() called too often).
class ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("QueueEmpty") {}
};

class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("QueueFull") {}
};

class QueueShutDown : public std::runtime_error {
 public:
  QueueShutDown() : std::runtime_error("QueueShutDown") {}
};

class BrokenBarrierError : public RuntimeError {
 public:
  BrokenBarrierError() : RuntimeError("BrokenBarrierError") {}
};

// The simulated loop found the main task not done with nothing runnable, no timer and no I/O in
// flight. what() lists every live task and what it awaits.
class DeadlockError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// Stream read ended before `expected` bytes (or the separator) arrived; `partial` holds what did.
class IncompleteReadError : public std::runtime_error {
 public:
  IncompleteReadError(std::string partial, std::optional<size_t> expected);
  std::string partial;
  std::optional<size_t> expected;
};

// readuntil() found no separator within the stream's limit; `consumed` bytes are buffered.
class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(const std::string& message, size_t consumed)
      : std::runtime_error(message), consumed(consumed) {}
  size_t consumed;
};

// An operating-system error with its errno, as Python's OSError. what() is exactly `what`
// (make_os_error spells it as Python does, "[Errno 104] Connection reset by peer"); std::
// system_error's own what() would append ": <strerror>" again.
class OSError : public std::system_error {
 public:
  OSError(int err, const std::string& what)
      : std::system_error(err, std::generic_category(), what), message_(what) {}
  int err() const noexcept { return code().value(); }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

class FileNotFoundError : public OSError {
 public:
  using OSError::OSError;
};

// Connection failures carry errno and the peer address ("127.0.0.1:8080").
class ConnectionError : public OSError {
 public:
  ConnectionError(int err, const std::string& what, std::string peer = {})
      : OSError(err, what), peer(std::move(peer)) {}
  std::string peer;
};
class ConnectionRefusedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionResetError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionAbortedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class BrokenPipeError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

// Several failures at once (TaskGroup). Holds every non-cancellation failure, in the order the
// children failed.
class ExceptionGroup : public std::exception {
 public:
  ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions);
  const char* what() const noexcept override { return what_.c_str(); }
  const std::string& message() const noexcept { return message_; }
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::string message_;
  std::vector<std::exception_ptr> exceptions_;
  std::string what_;
};

// "TypeName: what()" for any exception, CancelledError included; used in reports and logs.
std::string describe_exception(const std::exception_ptr& e);

// True when `e` holds a CancelledError.
bool is_cancelled_error(const std::exception_ptr& e);

}  // namespace weft

#endif  // WEFT_RUNTIME_ERRORS_H_
