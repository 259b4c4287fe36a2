#include "runtime/io/stream_reader.h"

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/task_handle.h"

namespace weft {

StreamReader::StreamReader(long limit) : limit_(static_cast<size_t>(limit)) { check_limit(limit); }

void StreamReader::check_limit(long limit) {
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
}

void StreamReader::set_transport(std::weak_ptr<ReadTransport> transport) {
  transport_ = std::move(transport);
  auto t = transport_.lock();
  resource_id_ = t ? t->resource_id() : 0;
}

void StreamReader::wakeup_waiter() {
  if (waiter_ && !waiter_->done()) waiter_->set_result();
}

void StreamReader::maybe_resume_transport() {
  if (paused_ && buffer_.size() <= limit_) {
    paused_ = false;
    if (auto t = transport_.lock()) t->resume_reading();
  }
}

void StreamReader::feed_eof() {
  eof_ = true;
  wakeup_waiter();
}

void StreamReader::set_exception(std::exception_ptr exc) {
  exception_ = exc;
  if (waiter_ && !waiter_->done()) waiter_->set_exception(exc);
}

void StreamReader::feed_data(std::string_view data) {
  if (data.empty()) return;
  buffer_.append(data);
  wakeup_waiter();
  if (!paused_ && buffer_.size() > 2 * limit_) {
    if (auto t = transport_.lock()) {
      t->pause_reading();
      paused_ = true;
    }
  }
}

namespace {

// What a task blocked in a read awaits, for deadlock reports (labels must be static strings).
const char* wait_label(std::string_view method) {
  if (method == "read") return "StreamReader.read() waiting for data";
  if (method == "readline") return "StreamReader.readline() waiting for data";
  if (method == "readexactly") return "StreamReader.readexactly() waiting for data";
  return "StreamReader.readuntil() waiting for data";
}

std::string current_task_name() {
  AnyTask task = current_task();
  return task ? task.get_name() : std::string("(no task)");
}

}  // namespace

Task<void> StreamReader::wait_for_data(const char* method) {
  // Every read loops back here after each wake-up. A connection error stored after data woke the
  // waiter (set_exception found it already done) must be raised now, or nothing would ever wake
  // this read again.
  if (exception_) std::rethrow_exception(exception_);
  if (waiter_) {
    throw RuntimeError(absl::StrCat(
        "StreamReader.", method, "() called by task '", current_task_name(), "' while task '",
        waiting_task_, "' is already waiting for incoming data in ", waiting_method_,
        "(): only one coroutine at a time may read from a StreamReader"));
  }
  if (paused_) {
    paused_ = false;
    if (auto t = transport_.lock()) t->resume_reading();
  }
  waiter_.emplace(get_running_loop());
  waiter_->core()->set_label(wait_label(method));
  // Data, EOF or an error of the transport wakes this read: the step reports the transport.
  if (resource_id_ != 0) waiter_->core()->set_resource_id(resource_id_);
  waiting_method_ = method;
  waiting_task_ = current_task_name();
  Future<void> w = *waiter_;
  struct Clear {
    std::optional<Future<void>>& w;
    ~Clear() { w.reset(); }
  } clear{waiter_};
  co_await w;
}

std::string StreamReader::take(size_t n) {
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  maybe_resume_transport();
  return out;
}

Task<std::string> StreamReader::read(long n) {
  if (exception_) std::rethrow_exception(exception_);
  if (n == 0) co_return std::string();
  if (n < 0) {
    // Waits for EOF before taking anything, so a cancelled read(-1) leaves every byte buffered
    // (asyncio reads limit-sized blocks and loses them on cancellation). Each wait resumes a
    // transport that the growing buffer paused.
    while (!eof_) co_await wait_for_data("read");
    co_return take(buffer_.size());
  }
  if (buffer_.empty() && !eof_) co_await wait_for_data("read");
  co_return take(static_cast<size_t>(n));
}

Task<std::string> StreamReader::readexactly(long count) {
  if (count < 0) throw ValueError("readexactly size can not be less than zero");
  if (exception_) std::rethrow_exception(exception_);
  const size_t n = static_cast<size_t>(count);
  if (n == 0) co_return std::string();
  while (buffer_.size() < n) {
    if (eof_) {
      std::string partial = std::move(buffer_);
      buffer_.clear();
      throw IncompleteReadError(std::move(partial), n);
    }
    co_await wait_for_data("readexactly");
  }
  co_return take(n);
}

Task<std::string> StreamReader::readuntil(std::string separator) {
  return readuntil_for(std::move(separator), "readuntil");
}

Task<std::string> StreamReader::readuntil_for(std::string separator, const char* method) {
  const size_t seplen = separator.size();
  if (seplen == 0) throw ValueError("Separator should be at least one-byte string");
  if (exception_) std::rethrow_exception(exception_);
  size_t offset = 0;
  size_t isep;
  while (true) {
    const size_t buflen = buffer_.size();
    if (buflen - offset >= seplen) {
      isep = buffer_.find(separator, offset);
      if (isep != std::string::npos) break;
      offset = buflen + 1 - seplen;
      if (offset > limit_) {
        throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
    }
    if (eof_) {
      std::string partial = std::move(buffer_);
      buffer_.clear();
      throw IncompleteReadError(std::move(partial), std::nullopt);
    }
    co_await wait_for_data(method);
  }
  if (isep > limit_) {
    throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
  }
  co_return take(isep + seplen);
}

Task<std::string> StreamReader::readline() {
  const std::string sep = "\n";
  std::optional<size_t> overrun;
  std::string message;
  try {
    Task<std::string> line = readuntil_for(sep, "readline");
    co_return co_await std::move(line);
  } catch (IncompleteReadError& e) {
    co_return std::move(e.partial);
  } catch (const LimitOverrunError& e) {
    overrun = e.consumed;
    message = e.what();
  }
  if (buffer_.compare(*overrun, sep.size(), sep) == 0) {
    buffer_.erase(0, *overrun + sep.size());
  } else {
    buffer_.clear();
  }
  maybe_resume_transport();
  throw ValueError(message);
}

}  // namespace weft
