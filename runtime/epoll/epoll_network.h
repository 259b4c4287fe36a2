// EpollNetwork: the real world's NetworkService — non-blocking sockets on the EpollLoop: TCP
// connections as FdSockets, listening sockets as FdListeners, UDP sockets as FdDatagramSockets
// (asyncio's transports and server above them live in runtime/io), getaddrinfo on the executor.
// Owned by the loop; user code reaches it through the free functions of runtime/io/network.h.
#ifndef WEFT_RUNTIME_EPOLL_EPOLL_NETWORK_H_
#define WEFT_RUNTIME_EPOLL_EPOLL_NETWORK_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/io/network_service.h"

namespace weft {

class EpollNetwork final : public NetworkService {
 public:
  explicit EpollNetwork(EpollLoop& loop) : loop_(loop) {}

  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family, int socktype,
                                          int flags) override;
  Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                              std::optional<SocketAddress> local) override;
  std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>& addresses,
                                                const ServerOptions& options) override;
  std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions& options) override;

 private:
  EpollLoop& loop_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_EPOLL_NETWORK_H_
