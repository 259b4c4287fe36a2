#include "runtime/epoll/fd_transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "runtime/epoll/sockaddr.h"
#include "runtime/errors.h"
#include "runtime/io/internal/write_limits.h"
#include "runtime/io/os_error.h"

namespace weft {
namespace {
}  // namespace

FdTransport::FdTransport(EpollLoop& loop, int fd, Kind kind, std::shared_ptr<Protocol> protocol,
                         std::function<void()> on_lost, uint64_t resource)
    : Resource(loop), loop_(loop), fd_(fd), resource_(resource ? resource : id()), kind_(kind),
      protocol_(std::move(protocol)),
      on_lost_(std::move(on_lost)) {
  if (kind_ == Kind::kSocket) {
    peer_ = epoll_internal::peer_of(fd_);
    sock_ = epoll_internal::sock_of(fd_);
  }
}

FdTransport::~FdTransport() {
  // Only reached once nothing in the loop refers to us (or the loop is closing): never touch
  // the loop here, just release the fd.
  if (fd_ >= 0) ::close(fd_);
}

void FdTransport::abandon() noexcept {
  auto self = weak_from_this().lock();  // the protocol may hold the last reference to us
  closing_ = true;
  ++conn_lost_;  // later writes are dropped, as after a lost connection
  reading_registered_ = writer_registered_ = false;  // the loop dropped every watch
  buffer_.clear();
  offset_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  on_lost_ = nullptr;
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  // `protocol`, then `self`, go here: our own state is consistent by now.
}

void FdTransport::start(std::optional<Future<void>> waiter) {
  auto self = shared_from_this();
  loop_.call_soon_for(resource_, [self] {
    if (!self->protocol_) return;
    self->protocol_connected_ = true;
    self->protocol_->connection_made(self);
  });
  loop_.call_soon_for(resource_, [self] { self->start_reading(); });
  if (waiter) {
    waiter->core()->set_resource_id(resource_);  // the connecting task wakes with our id
    loop_.call_soon_for(resource_, [w = *waiter]() mutable {
      if (!w.done()) w.set_result();
    });
  }
}

void FdTransport::start_reading() {
  if (closing_ || paused_ || fd_ < 0) return;
  // A write pipe is "read" only to notice the reader going away (EPOLLERR), as asyncio does.
  loop_.add_reader(fd_, [self = shared_from_this()] { self->read_ready(); }, resource_);
  reading_registered_ = true;
}

ExtraInfo FdTransport::get_extra_info(std::string_view name) const {
  if (kind_ == Kind::kSocket) {
    if (name == "peername") return peer_;
    if (name == "sockname") return sock_;
    if (name == "socket" && fd_ >= 0) return fd_;
  } else if (name == "pipe" && fd_ >= 0) {
    return fd_;
  }
  return std::monostate{};
}

void FdTransport::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
  if (reading_registered_) loop_.remove_reader(fd_);
  reading_registered_ = false;
}

void FdTransport::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  start_reading();
}

void FdTransport::read_ready() {
  if (fd_ < 0 || closing_) return;
  if (kind_ == Kind::kWritePipe) {
    // The read end went away.
    if (get_write_buffer_size() > 0) {
      force_close(make_os_error(EPIPE, "pipe closed by the reader"));
    } else {
      close();
    }
    return;
  }
  char* buf = loop_.read_buffer();
  constexpr size_t kMax = EpollLoop::kReadBufferSize;
  ssize_t n = kind_ == Kind::kSocket ? ::recv(fd_, buf, kMax, 0) : ::read(fd_, buf, kMax);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    fatal_error(make_os_error(errno, "", peer_.port ? peer_.to_string() : ""),
                "Fatal read error on transport");
    return;
  }
  if (n == 0) {
    on_eof();
    return;
  }
  // Exactly the bytes read: the protocol may keep the string (a StreamReader buffer does).
  std::string data(buf, static_cast<size_t>(n));
  try {
    protocol_->data_received(std::move(data));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
  }
}

void FdTransport::on_eof() {
  if (kind_ == Kind::kReadPipe) {
    closing_ = true;
    if (reading_registered_) loop_.remove_reader(fd_);
    reading_registered_ = false;
    auto self = shared_from_this();
    loop_.call_soon_for(resource_, [self] {
      if (self->protocol_) self->protocol_->eof_received();
    });
    ++conn_lost_;
    loop_.call_soon_for(resource_, [self] { self->call_connection_lost(nullptr); });
    return;
  }
  bool keep_open = false;
  try {
    keep_open = protocol_->eof_received();
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
    return;
  }
  if (keep_open) {
    // We may still write, but there is nothing more to read.
    if (reading_registered_) loop_.remove_reader(fd_);
    reading_registered_ = false;
  } else {
    close();
  }
}

ssize_t FdTransport::raw_write(const char* data, size_t n) {
  if (kind_ == Kind::kSocket) return ::send(fd_, data, n, MSG_NOSIGNAL);
  return epoll_internal::write_no_sigpipe(fd_, data, n);
}

void FdTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (conn_lost_ || fd_ < 0) {
    ++conn_lost_;
    return;
  }
  if (get_write_buffer_size() == 0) {
    ssize_t n = raw_write(data.data(), data.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fatal_error(make_os_error(errno, "", peer_.port ? peer_.to_string() : ""),
                    "Fatal write error on transport");
        return;
      }
      n = 0;
    }
    data.remove_prefix(static_cast<size_t>(n));
    if (data.empty()) return;
    loop_.add_writer(fd_, [self = shared_from_this()] { self->write_ready(); }, resource_);
    writer_registered_ = true;
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void FdTransport::consume(size_t n) {
  offset_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= 64 * 1024 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

void FdTransport::write_ready() {
  if (fd_ < 0 || conn_lost_) return;
  size_t size = get_write_buffer_size();
  if (size > 0) {
    ssize_t n = raw_write(buffer_.data() + offset_, size);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      const int err = errno;
      loop_.remove_writer(fd_);
      writer_registered_ = false;
      buffer_.clear();
      offset_ = 0;
      fatal_error(make_os_error(err, "", peer_.port ? peer_.to_string() : ""),
                  "Fatal write error on transport");
      return;
    }
    consume(static_cast<size_t>(n));
  }
  maybe_resume_protocol();
  if (get_write_buffer_size() == 0) {
    loop_.remove_writer(fd_);
    writer_registered_ = false;
    if (closing_) {
      ++conn_lost_;
      call_connection_lost(nullptr);
    } else if (eof_) {
      if (kind_ == Kind::kSocket) {
        ::shutdown(fd_, SHUT_WR);
      } else {
        close();
      }
    }
  }
}

void FdTransport::write_eof() {
  if (closing_ || eof_) return;
  eof_ = true;
  if (get_write_buffer_size() == 0) {
    if (kind_ == Kind::kSocket) {
      ::shutdown(fd_, SHUT_WR);
    } else {
      close();
    }
  }
}

void FdTransport::set_write_buffer_limits(std::optional<long> high, std::optional<long> low) {
  const io_internal::WriteLimits limits = io_internal::resolve_write_buffer_limits(high, low);
  high_ = limits.high;
  low_ = limits.low;
  maybe_pause_protocol();
}

void FdTransport::maybe_pause_protocol() {
  if (get_write_buffer_size() <= high_ || protocol_paused_ || !protocol_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    loop_.call_exception_handler(
        {"protocol.pause_writing() failed", std::current_exception(), {}});
  }
}

void FdTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || get_write_buffer_size() > low_ || !protocol_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    loop_.call_exception_handler(
        {"protocol.resume_writing() failed", std::current_exception(), {}});
  }
}

void FdTransport::close() {
  if (closing_) return;
  closing_ = true;
  if (reading_registered_) loop_.remove_reader(fd_);
  reading_registered_ = false;
  if (get_write_buffer_size() == 0) {
    ++conn_lost_;
    if (writer_registered_) loop_.remove_writer(fd_);
    writer_registered_ = false;
    loop_.call_soon_for(resource_,
                        [self = shared_from_this()] { self->call_connection_lost(nullptr); });
  }
}

void FdTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  if (get_write_buffer_size() > 0) {
    buffer_.clear();
    offset_ = 0;
  }
  if (writer_registered_) loop_.remove_writer(fd_);
  writer_registered_ = false;
  if (!closing_) {
    closing_ = true;
    if (reading_registered_) loop_.remove_reader(fd_);
    reading_registered_ = false;
  }
  ++conn_lost_;
  loop_.call_soon_for(resource_,
                      [self = shared_from_this(), exc] { self->call_connection_lost(exc); });
}

void FdTransport::fatal_error(std::exception_ptr exc, const char* message) {
  // OS errors are the peer's doing and go to connection_lost; anything else is a bug worth a
  // report (asyncio logs it the same way).
  bool os_error = false;
  try {
    std::rethrow_exception(exc);
  } catch (const OSError&) {
    os_error = true;
  } catch (...) {
    // Only classifying; `exc` is passed on below.
  }
  if (!os_error) loop_.call_exception_handler({message, exc, {}});
  force_close(std::move(exc));
}

void FdTransport::call_connection_lost(std::exception_ptr exc) {
  if (fd_ < 0) return;
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  struct Cleanup {
    FdTransport* t;
    ~Cleanup() {
      if (t->reading_registered_) t->loop_.remove_reader(t->fd_);
      if (t->writer_registered_) t->loop_.remove_writer(t->fd_);
      t->reading_registered_ = t->writer_registered_ = false;
      ::close(t->fd_);
      t->fd_ = -1;
      if (auto fn = std::move(t->on_lost_)) fn();
    }
  } cleanup{this};
  if (protocol_connected_ && protocol) protocol->connection_lost(std::move(exc));
}

}  // namespace weft
