#include "runtime/io/internal/stream_transport.h"

#include <errno.h>

#include <utility>

#include "runtime/errors.h"
#include "runtime/io/internal/write_limits.h"
#include "runtime/io/os_error.h"

namespace weft::io_internal {

StreamTransport::StreamTransport(EventLoop& loop, std::shared_ptr<StreamSocket> socket,
                                 std::shared_ptr<Protocol> protocol,
                                 std::function<void()> on_lost)
    : loop_(loop),
      socket_(std::move(socket)),
      kind_(socket_->kind()),
      resource_(socket_->id()),
      group_(loop.current_group()),
      protocol_(std::move(protocol)),
      on_lost_(std::move(on_lost)) {
  if (kind_ == StreamSocket::Kind::kConnection) {
    peer_ = socket_->peer_address();
    sock_ = socket_->local_address();
  }
  socket_->set_events(this);
}

StreamTransport::~StreamTransport() {
  // Only reached once nothing in the loop refers to us (or the loop is closing): release the
  // stream, call nobody.
  socket_->set_events(nullptr);
  if (live_) socket_->close(reset_on_close_);
}

void StreamTransport::on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  // The protocol may hold the last reference to us: both go to the graveyard.
  if (auto self = weak_from_this().lock()) graveyard.push_back(std::move(self));
  live_ = false;  // the world released the stream
  closing_ = true;
  ++conn_lost_;   // later writes are dropped, as after a lost connection
  reading_ = writing_ = false;
  buffer_.clear();
  offset_ = 0;
  if (self_) graveyard.push_back(std::move(self_));
  self_ = nullptr;
  if (protocol_) graveyard.push_back(std::move(protocol_));
  protocol_ = nullptr;
  on_lost_ = nullptr;
}

void StreamTransport::start(std::optional<Future<void>> waiter) {
  auto self = shared_from_this();
  // The loop holds an open transport (asyncio's selector does): one whose user kept no
  // reference still reads, writes and closes.
  self_ = self;
  // asyncio queues these as three callbacks; one callback keeps their order under a strategy
  // that reorders ready entries (a reading transport whose protocol has not been told of the
  // connection, or a waiter woken before connection_made, is not a schedule asyncio allows).
  // The connecting task wakes with the stream's id.
  if (waiter) waiter->core()->set_resource_id(resource_);
  made_pending_ = true;
  loop_.call_soon_for(resource_, [self, waiter = std::move(waiter)]() mutable {
    self->made_pending_ = false;
    if (self->protocol_) {
      self->protocol_connected_ = true;
      try {
        EventLoop::GroupScope group(self->loop_, self->group_);
        self->protocol_->connection_made(self);
      } catch (...) {
        // asyncio reports it as a failed callback and goes on: reading starts, the waiter
        // completes.
        self->loop_.call_exception_handler(
            {"Exception in callback protocol.connection_made()", std::current_exception(), {}});
      }
      self->start_reading();  // nothing to do once closing (a loss below is pending)
    }
    if (waiter && !waiter->done()) waiter->set_result();
    if (self->lost_before_made_) {
      std::exception_ptr exc = std::move(*self->lost_before_made_);
      self->lost_before_made_.reset();
      self->call_connection_lost(std::move(exc));
    }
  });
}

void StreamTransport::start_reading() {
  if (closing_ || paused_ || !live_) return;
  // A write pipe "reads" only to notice its reader going away, as asyncio's does.
  socket_->want_read(true);
  reading_ = true;
}

void StreamTransport::stop_reading() {
  if (reading_ && live_) socket_->want_read(false);
  reading_ = false;
}

ExtraInfo StreamTransport::get_extra_info(std::string_view name) const {
  if (kind_ == StreamSocket::Kind::kConnection) {
    if (name == "peername") return peer_;
    if (name == "sockname") return sock_;
  }
  if (!live_) return std::monostate{};
  return socket_->extra_info(name);
}

void StreamTransport::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
  stop_reading();
}

void StreamTransport::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  start_reading();
}

std::exception_ptr StreamTransport::os_error(int err) const {
  return make_os_error(err, "", peer_.port ? peer_.to_string() : "");
}

void StreamTransport::on_readable() {
  if (!live_ || closing_) return;
  if (kind_ == StreamSocket::Kind::kWritePipe) {
    // The read end went away.
    if (get_write_buffer_size() > 0) {
      force_close(make_os_error(EPIPE, "pipe closed by the reader"));
    } else {
      close();
    }
    return;
  }
  std::string data;
  const IoResult r = socket_->read(data);
  if (r.err != 0) {
    if (r.would_block() || r.err == EINTR) return;
    fatal_error(os_error(r.err), "Fatal read error on transport");
    return;
  }
  if (r.eof()) {
    on_eof();
    return;
  }
  observe_bytes(IoDirection::kIn, data);
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->data_received(std::move(data));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
  }
}

void StreamTransport::on_eof() {
  if (kind_ == StreamSocket::Kind::kReadPipe) {
    closing_ = true;
    stop_reading();
    ++conn_lost_;
    // One callback, so no strategy can run connection_lost before eof_received.
    loop_.call_soon_for(resource_, [self = shared_from_this()] {
      if (self->protocol_) {
        EventLoop::GroupScope group(self->loop_, self->group_);
        self->protocol_->eof_received();
      }
      self->call_connection_lost(nullptr);
    });
    return;
  }
  bool keep_open = false;
  try {
    EventLoop::GroupScope group(loop_, group_);
    keep_open = protocol_->eof_received();
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
    return;
  }
  if (keep_open) {
    // We may still write, but there is nothing more to read.
    stop_reading();
  } else {
    close();
  }
}

void StreamTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (conn_lost_ || !live_) {
    ++conn_lost_;
    return;
  }
  if (get_write_buffer_size() == 0) {
    const IoResult r = socket_->write(data);
    size_t taken = r.bytes;
    if (r.err != 0) {
      if (!r.would_block() && r.err != EINTR) {
        fatal_error(os_error(r.err), "Fatal write error on transport");
        return;
      }
      taken = 0;
    }
    if (taken > 0) observe_bytes(IoDirection::kOut, data.substr(0, taken));
    data.remove_prefix(taken);
    if (data.empty()) return;
    socket_->want_write(true);
    writing_ = true;
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void StreamTransport::consume(size_t n) {
  offset_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= 64 * 1024 && offset_ * 2 >= buffer_.size()) {
    // Compact once the sent prefix is large and at least half the buffer.
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

void StreamTransport::half_close() {
  if (kind_ == StreamSocket::Kind::kConnection) {
    socket_->shutdown_write();
  } else {
    close();
  }
}

void StreamTransport::on_writable() {
  if (!live_ || conn_lost_) return;
  const size_t size = get_write_buffer_size();
  if (size > 0) {
    const IoResult r = socket_->write(std::string_view(buffer_).substr(offset_, size));
    if (r.err != 0) {
      if (r.would_block() || r.err == EINTR) return;
      socket_->want_write(false);
      writing_ = false;
      buffer_.clear();
      offset_ = 0;
      fatal_error(os_error(r.err), "Fatal write error on transport");
      return;
    }
    if (r.bytes > 0) observe_bytes(IoDirection::kOut, std::string_view(buffer_).substr(offset_, r.bytes));
    consume(r.bytes);
  }
  maybe_resume_protocol();
  if (get_write_buffer_size() == 0) {
    socket_->want_write(false);
    writing_ = false;
    if (closing_) {
      ++conn_lost_;
      call_connection_lost(nullptr);
    } else if (eof_) {
      half_close();
    }
  }
}

void StreamTransport::write_eof() {
  if (closing_ || eof_) return;
  eof_ = true;
  if (get_write_buffer_size() == 0 && live_) half_close();
}

void StreamTransport::set_write_buffer_limits(std::optional<long> high, std::optional<long> low) {
  const WriteLimits limits = resolve_write_buffer_limits(high, low);
  high_ = limits.high;
  low_ = limits.low;
  maybe_pause_protocol();
}

void StreamTransport::maybe_pause_protocol() {
  if (get_write_buffer_size() <= high_ || protocol_paused_ || !protocol_) return;
  protocol_paused_ = true;
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->pause_writing();
  } catch (...) {
    loop_.call_exception_handler(
        {"protocol.pause_writing() failed", std::current_exception(), {}});
  }
}

void StreamTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || get_write_buffer_size() > low_ || !protocol_) return;
  protocol_paused_ = false;
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->resume_writing();
  } catch (...) {
    loop_.call_exception_handler(
        {"protocol.resume_writing() failed", std::current_exception(), {}});
  }
}

void StreamTransport::close() {
  if (closing_) return;
  closing_ = true;
  stop_reading();
  if (get_write_buffer_size() == 0) {
    ++conn_lost_;
    if (writing_ && live_) socket_->want_write(false);
    writing_ = false;
    loop_.call_soon_for(resource_, [self = shared_from_this()] { self->call_connection_lost(nullptr); });
  }
}

void StreamTransport::abort_with_reset() {
  reset_on_close_ = true;
  force_close(nullptr);
}

void StreamTransport::observe_bytes(IoDirection direction, std::string_view data) {
  LoopObserver* o = loop_.observer();
  if (!o) return;
  if (kind_ == StreamSocket::Kind::kConnection) o->on_bytes(resource_, direction, data);
}

void StreamTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  if (!exc) aborted_ = true;
  if (get_write_buffer_size() > 0) {
    buffer_.clear();
    offset_ = 0;
  }
  if (writing_ && live_) socket_->want_write(false);
  writing_ = false;
  if (!closing_) {
    closing_ = true;
    stop_reading();
  }
  ++conn_lost_;
  loop_.call_soon_for(resource_, [self = shared_from_this(), exc] { self->call_connection_lost(exc); });
}

void StreamTransport::fatal_error(std::exception_ptr exc, const char* message) {
  // OS errors are the peer's doing and go to connection_lost; anything else is a bug worth a
  // report (asyncio logs it the same way).
  bool is_os_error = false;
  try {
    std::rethrow_exception(exc);
  } catch (const OSError&) {
    is_os_error = true;
  } catch (...) {
    // Only classifying; `exc` is passed on below.
  }
  if (!is_os_error) loop_.call_exception_handler({message, exc, {}});
  force_close(std::move(exc));
}

void StreamTransport::call_connection_lost(std::exception_ptr exc) {
  if (!live_) return;
  if (made_pending_ && protocol_) {
    // Lost (closed, aborted, a failed write) before connection_made ran: asyncio queued
    // connection_made first, so the protocol hears it first. The start entry runs this loss
    // right after it; skipping it would leave the protocol (a subprocess transport's pipe)
    // waiting for a connection_lost that never comes.
    lost_before_made_ = std::move(exc);
    return;
  }
  auto self = std::move(self_);  // destroyed last, after the cleanup and the protocol
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  if (LoopObserver* o = loop_.observer(); o && kind_ == StreamSocket::Kind::kConnection) {
    // What ended it: the OSError's errno, ECONNABORTED for abort(), 0 for a clean close.
    int error = aborted_ ? ECONNABORTED : 0;
    if (exc) {
      try {
        std::rethrow_exception(exc);
      } catch (const OSError& e) {
        error = e.err() != 0 ? e.err() : EIO;
      } catch (...) {
        error = EIO;  // a protocol callback failed; the transport closed on it
      }
    }
    o->on_connection_closed(resource_, error);
  }
  struct Cleanup {
    StreamTransport* t;
    ~Cleanup() {
      t->reading_ = t->writing_ = false;
      t->live_ = false;
      t->socket_->close(t->reset_on_close_);
      if (auto fn = std::move(t->on_lost_)) fn();
    }
  } cleanup{this};
  EventLoop::GroupScope group(loop_, group_);
  if (protocol_connected_ && protocol) protocol->connection_lost(std::move(exc));
}

}  // namespace weft::io_internal
