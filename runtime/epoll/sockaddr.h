// Conversions between weft::SocketAddress and the kernel's sockaddr, and small fd helpers for
// the epoll world's sockets and pipes. Internal to runtime/epoll.
#ifndef WEFT_RUNTIME_EPOLL_SOCKADDR_H_
#define WEFT_RUNTIME_EPOLL_SOCKADDR_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <utility>

#include "runtime/io/socket_address.h"

namespace weft::epoll_internal {

// False when `a.host` is not a numeric address of `a.family`.
bool to_sockaddr(const SocketAddress& a, sockaddr_storage* out, socklen_t* len);
SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);
SocketAddress peer_of(int fd);  // family AF_UNSPEC when unknown (not connected)
SocketAddress sock_of(int fd);

// write() to a pipe without SIGPIPE: EPIPE comes back as errno instead of killing the process.
ssize_t write_no_sigpipe(int fd, const char* data, size_t n);

// Owns an fd until release(); closes it otherwise.
class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  FdGuard(FdGuard&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FdGuard& operator=(FdGuard&& o) noexcept;
  FdGuard(const FdGuard&) = delete;
  ~FdGuard();
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace weft::epoll_internal

#endif  // WEFT_RUNTIME_EPOLL_SOCKADDR_H_
