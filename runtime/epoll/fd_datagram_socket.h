// FdDatagramSocket: the real world's DatagramSocket (runtime/io/datagram_socket.h) over one
// non-blocking UDP fd: recvfrom / send / sendto, readiness through EpollLoop's level-triggered
// add_reader / add_writer (a pending ICMP error wakes the reader, as on any selector loop).
// Receives into the loop's scratch buffer, so no receive allocates its maximum size. The asyncio
// transport above it is io_internal::SocketDatagramTransport, shared with the simulated world.
#ifndef WEFT_RUNTIME_EPOLL_FD_DATAGRAM_SOCKET_H_
#define WEFT_RUNTIME_EPOLL_FD_DATAGRAM_SOCKET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/io/datagram_socket.h"

namespace weft {

class FdDatagramSocket final : public DatagramSocket, public EpollLoop::Resource {
 public:
  // Takes ownership of `fd` (non-blocking, already bound / connected as it will be).
  FdDatagramSocket(EpollLoop& loop, int fd);
  ~FdDatagramSocket() override;

  uint64_t id() const override { return Resource::id(); }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override;
  void want_write(bool on) override;
  IoResult receive(std::string& into, SocketAddress& from) override;
  IoResult send(std::string_view data, const std::optional<SocketAddress>& to) override;
  void close() override;
  SocketAddress local_address() const override { return sock_; }
  std::optional<SocketAddress> peer_address() const override { return peer_; }
  ExtraInfo extra_info(std::string_view name) const override;

 private:
  // The loop closed (EpollLoop::Resource): close the fd, tell the owner.
  void abandon() noexcept override;

  EpollLoop& loop_;
  int fd_;
  Events* events_ = nullptr;
  SocketAddress sock_;
  std::optional<SocketAddress> peer_;
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_FD_DATAGRAM_SOCKET_H_
