#include "runtime/epoll/epoll_network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/epoll/fd_datagram_socket.h"
#include "runtime/epoll/fd_socket.h"
#include "runtime/epoll/sockaddr.h"
#include "runtime/errors.h"
#include "runtime/future.h"
#include "runtime/io/executor.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/os_error.h"
#include "runtime/task_handle.h"

namespace weft {
namespace {

using epoll_internal::FdGuard;

std::string py_addr(const SocketAddress& a) {
  return absl::StrCat("('", a.host, "', ", a.port, ")");
}

// Waits until `fd` is writable; a cancelled wait unregisters the writer.
Task<void> wait_writable(EpollLoop& loop, int fd) {
  Future<void> ready(loop);
  loop.add_writer(fd, [ready]() mutable {
    if (!ready.done()) ready.set_result();
  });
  struct Remove {
    EpollLoop& loop;
    int fd;
    ~Remove() { loop.remove_writer(fd); }
  } remove{loop, fd};
  co_await ready;
}

// A listening socket: the real world's Listener. accept4 per accept(); level-triggered
// readiness through the loop.
class FdListener final : public Listener, public EpollLoop::Resource {
 public:
  FdListener(EpollLoop& loop, int fd)
      : Resource(loop), loop_(loop), fd_(fd), address_(epoll_internal::sock_of(fd)) {}
  ~FdListener() override { close(); }

  uint64_t id() const override { return Resource::id(); }
  void set_events(Events* events) override { events_ = events; }
  void want_accept(bool on) override {
    if (fd_ < 0 || on == watching_) return;
    watching_ = on;
    if (on) {
      // Removed before this object goes (close()), and a removed watch never runs.
      loop_.add_reader(
          fd_,
          [this] {
            if (events_) events_->on_acceptable();
          },
          id());
    } else {
      loop_.remove_reader(fd_);
    }
  }
  std::shared_ptr<StreamSocket> accept(int& err) override {
    if (fd_ < 0) {
      err = EBADF;
      return nullptr;
    }
    const int cfd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      err = errno == EWOULDBLOCK ? EAGAIN : errno;
      return nullptr;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return std::make_shared<FdSocket>(loop_, cfd, StreamSocket::Kind::kConnection);
  }
  SocketAddress address() const override { return address_; }
  void close() override {
    if (fd_ < 0) return;
    if (watching_) loop_.remove_reader(fd_);
    watching_ = false;
    ::close(fd_);
    fd_ = -1;
    events_ = nullptr;
  }

 private:
  // The loop closed: close the fd, tell the server (it drops its factory and waiters uncalled).
  void abandon() noexcept override {
    watching_ = false;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (Events* events = std::exchange(events_, nullptr)) {
      std::vector<std::shared_ptr<void>> graveyard;
      events->on_abandoned(graveyard);
    }
  }

  EpollLoop& loop_;
  int fd_;
  SocketAddress address_;
  Events* events_ = nullptr;
  bool watching_ = false;
};

std::vector<AddrInfo> blocking_getaddrinfo(const std::string& host, int port, int family,
                                           int socktype, int flags) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = socktype;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    throw OSError(rc, absl::StrCat("[Errno ", rc, "] ", gai_strerror(rc), ": ", host));
  }
  std::vector<AddrInfo> out;
  for (addrinfo* p = res; p; p = p->ai_next) {
    AddrInfo info;
    info.family = p->ai_family;
    info.socktype = p->ai_socktype;
    info.protocol = p->ai_protocol;
    info.address = epoll_internal::from_sockaddr(p->ai_addr, p->ai_addrlen);
    if (info.address.family == AF_UNSPEC) continue;
    bool dup = false;
    for (const auto& o : out) {
      dup = dup || (o.address == info.address && o.socktype == info.socktype);
    }
    if (!dup) out.push_back(std::move(info));
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

Task<std::vector<AddrInfo>> EpollNetwork::getaddrinfo(std::string host, int port, int family,
                                                      int socktype, int flags) {
  // Numeric hosts need no resolver (asyncio's _ipaddr_info shortcut).
  for (int fam : {AF_INET, AF_INET6}) {
    if (family != AF_UNSPEC && family != fam) continue;
    sockaddr_storage ss;
    socklen_t len;
    if (!host.empty() && epoll_internal::to_sockaddr(SocketAddress{fam, host, port}, &ss, &len)) {
      AddrInfo info;
      info.family = fam;
      info.socktype = socktype;
      info.protocol = socktype == SOCK_DGRAM ? IPPROTO_UDP : socktype == SOCK_STREAM ? IPPROTO_TCP : 0;
      info.address = epoll_internal::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      co_return std::vector<AddrInfo>{info};
    }
  }
  auto resolved = run_in_executor(blocking_getaddrinfo, host, port, family, socktype, flags);
  co_return co_await std::move(resolved);
}

Task<std::shared_ptr<StreamSocket>> EpollNetwork::connect(SocketAddress address,
                                                           std::optional<SocketAddress> local) {
  FdGuard fd(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw_os_error(errno, "socket");
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_storage ss;
  socklen_t len;
  if (local) {
    if (!epoll_internal::to_sockaddr(*local, &ss, &len)) {
      throw ValueError(absl::StrCat("local_addr is not a numeric address: ", local->host));
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      throw_os_error(errno, absl::StrCat("error while attempting to bind on address ",
                                         py_addr(*local)));
    }
  }
  if (!epoll_internal::to_sockaddr(address, &ss, &len)) {
    throw ValueError(absl::StrCat("connect: not a numeric address: ", address.host));
  }
  const std::string peer = address.to_string();
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (errno != EINPROGRESS) throw_os_error(errno, "Connect call failed", peer);
    co_await wait_writable(loop_, fd.get());
    int err = 0;
    socklen_t errlen = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &errlen);
    if (err != 0) throw_os_error(err, "Connect call failed", peer);
  }
  co_return std::make_shared<FdSocket>(loop_, fd.release(), StreamSocket::Kind::kConnection);
}

std::vector<std::shared_ptr<Listener>> EpollNetwork::listen(const std::vector<AddrInfo>& infos,
                                                            const ServerOptions& options) {
  std::vector<FdGuard> fds;
  for (const auto& info : infos) {
    FdGuard fd(::socket(info.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw_os_error(errno, "socket");
    int one = 1;
    if (options.reuse_address) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (options.reuse_port) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (info.family == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    sockaddr_storage ss;
    socklen_t len;
    if (!epoll_internal::to_sockaddr(info.address, &ss, &len)) {
      throw ValueError(absl::StrCat("listen: not a numeric address: ", info.address.host));
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      throw_os_error(errno, absl::StrCat("error while attempting to bind on address ",
                                         py_addr(info.address)));
    }
    // A negative backlog means 0, as Python's socket.listen (Linux would read it as SOMAXCONN).
    if (::listen(fd.get(), std::max(0, options.backlog)) < 0) throw_os_error(errno, "listen");
    fds.push_back(std::move(fd));
  }
  std::vector<std::shared_ptr<Listener>> listeners;
  for (auto& fd : fds) listeners.push_back(std::make_shared<FdListener>(loop_, fd.release()));
  return listeners;
}

std::shared_ptr<DatagramSocket> EpollNetwork::open_datagram(const DatagramSocketOptions& options) {
  FdGuard fd(::socket(options.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw_os_error(errno, "socket");
  int one = 1;
  if (options.reuse_port) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (options.allow_broadcast) setsockopt(fd.get(), SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
  sockaddr_storage ss;
  socklen_t len;
  if (options.local) {
    if (!epoll_internal::to_sockaddr(*options.local, &ss, &len)) {
      throw ValueError(absl::StrCat("local_addr is not a numeric address: ", options.local->host));
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      throw_os_error(errno, absl::StrCat("error while attempting to bind on address ",
                                         py_addr(*options.local)));
    }
  }
  if (options.remote) {
    if (!epoll_internal::to_sockaddr(*options.remote, &ss, &len)) {
      throw ValueError(absl::StrCat("remote_addr is not a numeric address: ",
                                    options.remote->host));
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      throw_os_error(errno, "connect", options.remote->to_string());
    }
  }
  return std::make_shared<FdDatagramSocket>(loop_, fd.release());
}

}  // namespace weft
