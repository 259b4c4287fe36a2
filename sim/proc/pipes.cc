#include "sim/proc/pipes.h"

#include <errno.h>

#include <algorithm>

#include "runtime/errors.h"
#include "runtime/io/internal/write_limits.h"
#include "runtime/io/os_error.h"
#include "sim/sim_loop.h"

namespace weft::sim::proc_internal {

void call_soon_if_open(SimLoop& loop, std::function<void()> fn, uint64_t resource) {
  if (!loop.is_closed()) loop.call_soon_for(resource, std::move(fn));
}

// ---- Pipe ----

size_t Pipe::push(std::string_view data) {
  if (read_closed_ || write_closed_) return 0;
  const size_t n = std::min(space(), data.size());
  if (n == 0) return 0;
  buffer_.append(data.substr(0, n));
  notify(on_readable_);
  return n;
}

void Pipe::push_all(std::string_view data) {
  if (read_closed_ || write_closed_ || data.empty()) return;
  buffer_.append(data);
  notify(on_readable_);
}

void Pipe::close_write() {
  if (write_closed_) return;
  write_closed_ = true;
  notify(on_readable_);
}

std::string Pipe::take(size_t n) {
  n = std::min(n, size());
  std::string out = buffer_.substr(offset_, n);
  offset_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= 64 * 1024 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  if (n > 0) notify(on_writable_);
  return out;
}

void Pipe::close_read() {
  if (read_closed_) return;
  read_closed_ = true;
  buffer_.clear();
  offset_ = 0;
  notify(on_writable_);
}

// ---- PipeReader ----

PipeReader::PipeReader(SimLoop& loop, std::shared_ptr<Pipe> pipe, Sink sink, uint64_t resource)
    : loop_(loop), pipe_(std::move(pipe)), sink_(std::move(sink)), resource_(resource) {}

void PipeReader::start() {
  if (started_) return;
  started_ = true;
  std::weak_ptr<PipeReader> weak = weak_from_this();
  pipe_->set_on_readable([weak] {
    if (auto self = weak.lock()) self->maybe_schedule();
  });
  maybe_schedule();
}

void PipeReader::maybe_schedule() {
  if (!started_ || closing_ || paused_ || scheduled_) return;
  if (pipe_->size() == 0 && !pipe_->write_closed()) return;
  scheduled_ = true;
  call_soon_if_open(loop_, [self = shared_from_this()] { self->read_ready(); }, resource_);
}

void PipeReader::read_ready() {
  scheduled_ = false;
  if (closing_ || paused_) return;
  const size_t n = pipe_->size();
  if (n > 0) {
    // A partial read: choice 0 takes everything buffered, k takes k bytes.
    const uint64_t c = loop_.choose(ChoiceKind::kLatency, n);
    std::string data = pipe_->take(c == 0 ? n : static_cast<size_t>(c));
    auto keep = shared_from_this();
    if (sink_.data) sink_.data(std::move(data));
    maybe_schedule();
    return;
  }
  if (pipe_->write_closed()) {
    closing_ = true;
    if (sink_.eof) sink_.eof();
    call_soon_if_open(loop_, [self = shared_from_this()] { self->call_lost(); }, resource_);
  }
}

void PipeReader::call_lost() {
  pipe_->close_read();
  Sink sink = std::move(sink_);
  sink_ = Sink{};
  if (sink.lost) sink.lost();
}

void PipeReader::close() {
  if (closing_) return;
  closing_ = true;
  pipe_->close_read();
  call_soon_if_open(loop_, [self = shared_from_this()] { self->call_lost(); }, resource_);
}

void PipeReader::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
}

void PipeReader::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  maybe_schedule();
}

// ---- PipeWriteTransport ----

PipeWriteTransport::PipeWriteTransport(SimLoop& loop, std::shared_ptr<Pipe> pipe, Sink sink,
                                       uint64_t resource)
    : loop_(loop), pipe_(std::move(pipe)), sink_(std::move(sink)), resource_(resource) {}

void PipeWriteTransport::start() {
  if (started_) return;
  started_ = true;
  std::weak_ptr<PipeWriteTransport> weak = weak_from_this();
  pipe_->set_on_writable([weak] {
    if (auto self = weak.lock()) self->maybe_schedule();
  });
  maybe_schedule();
}

void PipeWriteTransport::maybe_schedule() {
  if (!started_ || scheduled_ || conn_lost_) return;
  const bool work =
      pipe_->read_closed() || (get_write_buffer_size() > 0 && pipe_->space() > 0);
  if (!work) return;
  scheduled_ = true;
  call_soon_if_open(loop_, [self = shared_from_this()] { self->write_ready(); }, resource_);
}

void PipeWriteTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (conn_lost_) {
    ++conn_lost_;
    return;
  }
  if (get_write_buffer_size() == 0) {
    if (pipe_->read_closed()) {
      force_close(make_os_error(EPIPE, "write failed"));
      return;
    }
    data.remove_prefix(pipe_->push(data));
    if (data.empty()) return;
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void PipeWriteTransport::consume(size_t n) {
  offset_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= 64 * 1024 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

void PipeWriteTransport::write_ready() {
  scheduled_ = false;
  if (conn_lost_) return;
  if (pipe_->read_closed()) {
    // The program closed its stdin or exited (FdTransport sees EPOLLERR on the write pipe).
    if (get_write_buffer_size() > 0) {
      force_close(make_os_error(EPIPE, "pipe closed by the reader"));
    } else if (!closing_) {
      close();
    }
    return;
  }
  const size_t size = get_write_buffer_size();
  if (size > 0) {
    consume(pipe_->push(std::string_view(buffer_).substr(offset_, size)));
  }
  maybe_resume_protocol();
  if (get_write_buffer_size() == 0) {
    if (closing_) {
      ++conn_lost_;
      call_lost(nullptr);
    } else if (eof_) {
      close();
    }
  }
}

void PipeWriteTransport::write_eof() {
  if (closing_ || eof_) return;
  eof_ = true;
  if (get_write_buffer_size() == 0) close();
}

void PipeWriteTransport::set_write_buffer_limits(std::optional<long> high,
                                                 std::optional<long> low) {
  const io_internal::WriteLimits limits = io_internal::resolve_write_buffer_limits(high, low);
  high_ = limits.high;
  low_ = limits.low;
  maybe_pause_protocol();
}

void PipeWriteTransport::maybe_pause_protocol() {
  if (get_write_buffer_size() <= high_ || protocol_paused_ || !sink_.pause) return;
  protocol_paused_ = true;
  try {
    sink_.pause();
  } catch (...) {
    loop_.call_exception_handler({"protocol.pause_writing() failed", std::current_exception(), {}});
  }
}

void PipeWriteTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || get_write_buffer_size() > low_ || !sink_.resume) return;
  protocol_paused_ = false;
  try {
    sink_.resume();
  } catch (...) {
    loop_.call_exception_handler(
        {"protocol.resume_writing() failed", std::current_exception(), {}});
  }
}

void PipeWriteTransport::close() {
  if (closing_) return;
  closing_ = true;
  if (get_write_buffer_size() == 0) {
    ++conn_lost_;
    call_soon_if_open(
        loop_, [self = shared_from_this()] { self->call_lost(nullptr); }, resource_);
  }
}

void PipeWriteTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  buffer_.clear();
  offset_ = 0;
  closing_ = true;
  ++conn_lost_;
  call_soon_if_open(
      loop_, [self = shared_from_this(), exc] { self->call_lost(exc); }, resource_);
}

void PipeWriteTransport::call_lost(std::exception_ptr exc) {
  if (lost_called_) return;
  lost_called_ = true;
  pipe_->close_write();
  Sink sink = std::move(sink_);
  sink_ = Sink{};
  if (sink.lost) sink.lost(std::move(exc));
}

}  // namespace weft::sim::proc_internal
