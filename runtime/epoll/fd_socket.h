// FdSocket: the real world's StreamSocket (runtime/io/stream_socket.h) over one non-blocking fd —
// a connected TCP socket or one end of a child's pipe. Readiness through EpollLoop's
// level-triggered add_reader / add_writer; reads into the loop's scratch buffer, so no read
// allocates or zero-fills its maximum size. The asyncio transport above it is
// io_internal::StreamTransport, shared with the simulated world.
#ifndef WEFT_RUNTIME_EPOLL_FD_SOCKET_H_
#define WEFT_RUNTIME_EPOLL_FD_SOCKET_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/io/stream_socket.h"

namespace weft {

class FdSocket final : public StreamSocket, public EpollLoop::Resource {
 public:
  // Takes ownership of `fd` (already non-blocking). `resource`: the id it stands for (a child's
  // pipe: the process's); 0: its own (EpollLoop::Resource::id).
  FdSocket(EpollLoop& loop, int fd, Kind kind, uint64_t resource = 0);
  ~FdSocket() override;

  Kind kind() const override { return kind_; }
  uint64_t id() const override { return id_; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override;
  void want_write(bool on) override;
  IoResult read(std::string& into) override;
  IoResult write(std::string_view data) override;
  void shutdown_write() override;
  void close(bool reset) override;
  SocketAddress local_address() const override { return sock_; }
  SocketAddress peer_address() const override { return peer_; }
  ExtraInfo extra_info(std::string_view name) const override;

 private:
  // The loop closed (EpollLoop::Resource): close the fd, tell the owner.
  void abandon() noexcept override;

  EpollLoop& loop_;
  int fd_;
  Kind kind_;
  uint64_t id_;
  Events* events_ = nullptr;
  SocketAddress peer_;
  SocketAddress sock_;
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_FD_SOCKET_H_
