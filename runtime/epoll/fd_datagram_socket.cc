#include "runtime/epoll/fd_datagram_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "runtime/epoll/sockaddr.h"

namespace weft {

FdDatagramSocket::FdDatagramSocket(EpollLoop& loop, int fd)
    : Resource(loop), loop_(loop), fd_(fd), sock_(epoll_internal::sock_of(fd)) {
  SocketAddress peer = epoll_internal::peer_of(fd);
  if (peer.family != AF_UNSPEC) peer_ = std::move(peer);
}

FdDatagramSocket::~FdDatagramSocket() {
  // The owner closes first; this is the backstop (abandon() set fd_ to -1 on a closed loop).
  if (fd_ >= 0) close();
}

void FdDatagramSocket::abandon() noexcept {
  reading_ = writing_ = false;  // the loop dropped every watch
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (Events* events = events_) {
    events_ = nullptr;
    std::vector<std::shared_ptr<void>> graveyard;
    events->on_abandoned(graveyard);
  }
}

void FdDatagramSocket::want_read(bool on) {
  if (fd_ < 0 || on == reading_) return;
  reading_ = on;
  if (on) {
    // Removed before this object goes (close()), and a removed watch never runs: `this` is safe.
    loop_.add_reader(
        fd_,
        [this] {
          if (events_) events_->on_readable();
        },
        id());
  } else {
    loop_.remove_reader(fd_);
  }
}

void FdDatagramSocket::want_write(bool on) {
  if (fd_ < 0 || on == writing_) return;
  writing_ = on;
  if (on) {
    loop_.add_writer(
        fd_,
        [this] {
          if (events_) events_->on_writable();
        },
        id());
  } else {
    loop_.remove_writer(fd_);
  }
}

IoResult FdDatagramSocket::receive(std::string& into, SocketAddress& from) {
  if (fd_ < 0) return {.err = EBADF};
  char* buf = loop_.read_buffer();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  const ssize_t n = ::recvfrom(fd_, buf, EpollLoop::kReadBufferSize, 0,
                               reinterpret_cast<sockaddr*>(&ss), &len);
  if (n < 0) return {.err = errno == EWOULDBLOCK ? EAGAIN : errno};
  into.assign(buf, static_cast<size_t>(n));
  from = epoll_internal::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return {.bytes = static_cast<size_t>(n)};
}

IoResult FdDatagramSocket::send(std::string_view data, const std::optional<SocketAddress>& to) {
  if (fd_ < 0) return {.err = EBADF};
  ssize_t n;
  if (!to) {
    n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
  } else {
    sockaddr_storage ss;
    socklen_t len;
    if (!epoll_internal::to_sockaddr(*to, &ss, &len)) return {.err = EINVAL};
    n = ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss),
                 len);
  }
  if (n < 0) return {.err = errno == EWOULDBLOCK ? EAGAIN : errno};
  return {.bytes = static_cast<size_t>(n)};
}

void FdDatagramSocket::close() {
  if (fd_ < 0) return;
  if (reading_) loop_.remove_reader(fd_);
  if (writing_) loop_.remove_writer(fd_);
  reading_ = writing_ = false;
  ::close(fd_);
  fd_ = -1;
  events_ = nullptr;
}

ExtraInfo FdDatagramSocket::extra_info(std::string_view name) const {
  if (fd_ >= 0 && name == "socket") return fd_;
  return std::monostate{};
}

}  // namespace weft
