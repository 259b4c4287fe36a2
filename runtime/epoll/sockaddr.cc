#include "runtime/epoll/sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace weft::epoll_internal {

bool to_sockaddr(const SocketAddress& a, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof(*out));
  if (a.family == AF_INET || a.family == AF_UNSPEC) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    if (inet_pton(AF_INET, a.host.c_str(), &sin->sin_addr) == 1) {
      sin->sin_family = AF_INET;
      sin->sin_port = htons(static_cast<uint16_t>(a.port));
      *len = sizeof(sockaddr_in);
      return true;
    }
  }
  if (a.family == AF_INET6 || a.family == AF_UNSPEC) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    if (inet_pton(AF_INET6, a.host.c_str(), &sin6->sin6_addr) == 1) {
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(static_cast<uint16_t>(a.port));
      *len = sizeof(sockaddr_in6);
      return true;
    }
  }
  return false;
}

SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    a.family = AF_INET;
    a.host = buf;
    a.port = ntohs(sin->sin_port);
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
    a.family = AF_INET6;
    a.host = buf;
    a.port = ntohs(sin6->sin6_port);
  }
  return a;
}

SocketAddress peer_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

SocketAddress sock_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

ssize_t write_no_sigpipe(int fd, const char* data, size_t n) {
  // Block SIGPIPE on this thread for the write, then consume a SIGPIPE the write raised (unless
  // one was already pending before), so the process-wide disposition is never touched.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t r = ::write(fd, data, n);
  const int err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return r;
}

FdGuard& FdGuard::operator=(FdGuard&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

FdGuard::~FdGuard() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace weft::epoll_internal
