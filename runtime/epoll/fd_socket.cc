#include "runtime/epoll/fd_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/epoll/sockaddr.h"

namespace weft {

FdSocket::FdSocket(EpollLoop& loop, int fd, Kind kind, uint64_t resource)
    : Resource(loop), loop_(loop), fd_(fd), kind_(kind), id_(resource ? resource : Resource::id()) {
  if (kind_ == Kind::kConnection) {
    peer_ = epoll_internal::peer_of(fd_);
    sock_ = epoll_internal::sock_of(fd_);
  }
}

FdSocket::~FdSocket() {
  // The owner closes first; this is the backstop (never touch a closed loop: abandon() set
  // fd_ to -1 then).
  if (fd_ >= 0) close(false);
}

void FdSocket::abandon() noexcept {
  reading_ = writing_ = false;  // the loop dropped every watch
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (Events* events = events_) {
    events_ = nullptr;
    // Destroyed here, after our own state is consistent (the loop's resource list is too:
    // EpollLoop::on_close took us off it before calling).
    std::vector<std::shared_ptr<void>> graveyard;
    events->on_abandoned(graveyard);
  }
}

void FdSocket::want_read(bool on) {
  if (fd_ < 0 || on == reading_) return;
  reading_ = on;
  if (on) {
    // Removed before this object goes (close()), and a removed watch never runs: `this` is safe.
    loop_.add_reader(
        fd_,
        [this] {
          if (events_) events_->on_readable();
        },
        id_);
  } else {
    loop_.remove_reader(fd_);
  }
}

void FdSocket::want_write(bool on) {
  if (fd_ < 0 || on == writing_) return;
  writing_ = on;
  if (on) {
    loop_.add_writer(
        fd_,
        [this] {
          if (events_) events_->on_writable();
        },
        id_);
  } else {
    loop_.remove_writer(fd_);
  }
}

IoResult FdSocket::read(std::string& into) {
  if (fd_ < 0) return {.err = EBADF};
  char* buf = loop_.read_buffer();
  constexpr size_t kMax = EpollLoop::kReadBufferSize;
  const ssize_t n = kind_ == Kind::kConnection ? ::recv(fd_, buf, kMax, 0) : ::read(fd_, buf, kMax);
  if (n < 0) return {.err = errno == EWOULDBLOCK ? EAGAIN : errno};
  into.assign(buf, static_cast<size_t>(n));
  return {.bytes = static_cast<size_t>(n)};
}

IoResult FdSocket::write(std::string_view data) {
  if (fd_ < 0) return {.err = EBADF};
  const ssize_t n = kind_ == Kind::kConnection
                        ? ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL)
                        : epoll_internal::write_no_sigpipe(fd_, data.data(), data.size());
  if (n < 0) return {.err = errno == EWOULDBLOCK ? EAGAIN : errno};
  return {.bytes = static_cast<size_t>(n)};
}

void FdSocket::shutdown_write() {
  if (fd_ >= 0 && kind_ == Kind::kConnection) ::shutdown(fd_, SHUT_WR);
}

void FdSocket::close(bool reset) {
  if (fd_ < 0) return;
  if (reading_) loop_.remove_reader(fd_);
  if (writing_) loop_.remove_writer(fd_);
  reading_ = writing_ = false;
  if (reset && kind_ == Kind::kConnection) {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  ::close(fd_);
  fd_ = -1;
  events_ = nullptr;
}

ExtraInfo FdSocket::extra_info(std::string_view name) const {
  if (fd_ < 0) return std::monostate{};
  if (kind_ == Kind::kConnection && name == "socket") return fd_;
  if (kind_ != Kind::kConnection && name == "pipe") return fd_;
  return std::monostate{};
}

}  // namespace weft
