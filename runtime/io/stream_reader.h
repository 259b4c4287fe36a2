// weft::StreamReader: asyncio.StreamReader — buffered reads from a connection or a child's pipe.
// One coroutine may wait at a time (RuntimeError naming both tasks otherwise). The buffer is
// bounded: above twice the limit the transport is paused until reads bring it back under it.
// A cancelled read consumes nothing: the bytes stay buffered for the next read. A connection
// error (set_exception) reaches a waiting read even when data woke it first.
#ifndef WEFT_RUNTIME_IO_STREAM_READER_H_
#define WEFT_RUNTIME_IO_STREAM_READER_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/future.h"
#include "runtime/io/read_transport.h"
#include "runtime/task.h"

namespace weft {

inline constexpr size_t kDefaultStreamLimit = 64 * 1024;  // asyncio's _DEFAULT_LIMIT

class StreamReader {
 public:
  // ValueError unless limit > 0 (signed, as asyncio's int: -1 must not become SIZE_MAX).
  explicit StreamReader(long limit = kDefaultStreamLimit);
  // The constructor's check alone, so open_connection / start_server / create_subprocess_*
  // reject a bad limit before any socket or child exists.
  static void check_limit(long limit);
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Up to `n` bytes (at least one unless at EOF, where it returns ""). n < 0 waits for EOF and
  // returns everything (weft: it takes nothing before EOF, so a cancelled read(-1) loses none).
  Task<std::string> read(long n = -1);
  // One line including "\n"; at EOF the partial last line (or ""). A line longer than the
  // limit raises ValueError, and the buffer drops it (as asyncio).
  Task<std::string> readline();
  // Exactly `n` bytes, or IncompleteReadError (with the bytes that came) at EOF. ValueError for
  // n < 0.
  Task<std::string> readexactly(long n);
  // Bytes up to and including `separator`. IncompleteReadError at EOF (the buffer is consumed);
  // LimitOverrunError when the separator is not within the limit (the buffer is kept).
  Task<std::string> readuntil(std::string separator = "\n");
  // True when EOF was fed and the buffer is empty.
  bool at_eof() const { return eof_ && buffer_.empty(); }
  size_t limit() const { return limit_; }

  // The producer's side (protocols call these).
  void feed_data(std::string_view data);
  void feed_eof();
  void set_exception(std::exception_ptr exc);
  std::exception_ptr exception() const { return exception_; }
  // The transport to pause when the buffer grows too large (held weakly). A read that waits is
  // woken with the transport's resource id.
  void set_transport(std::weak_ptr<ReadTransport> transport);
  size_t buffered() const { return buffer_.size(); }

 private:
  // Waits for feed_data / feed_eof / set_exception. `method` is the public call ("readline"),
  // for messages and deadlock reports.
  Task<void> wait_for_data(const char* method);
  Task<std::string> readuntil_for(std::string separator, const char* method);
  void wakeup_waiter();
  void maybe_resume_transport();
  std::string take(size_t n);

  size_t limit_;
  std::string buffer_;
  bool eof_ = false;
  bool paused_ = false;
  std::optional<Future<void>> waiter_;
  const char* waiting_method_ = "";  // while waiter_ is set: who waits, and in which call
  std::string waiting_task_;
  std::exception_ptr exception_;
  std::weak_ptr<ReadTransport> transport_;
  uint64_t resource_id_ = 0;  // the transport's, stamped on every waiter
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_STREAM_READER_H_
