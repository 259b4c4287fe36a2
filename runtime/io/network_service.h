// weft::NetworkService: the world's network (DESIGN.md §3): the epoll world opens real sockets,
// the simulated world fakes hosts and links. Users call the free functions of
// runtime/io/network.h and runtime/io/streams.h, which run asyncio's logic over the running
// loop's service.
#ifndef WEFT_RUNTIME_IO_NETWORK_SERVICE_H_
#define WEFT_RUNTIME_IO_NETWORK_SERVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/io/datagram_socket.h"
#include "runtime/io/listener.h"
#include "runtime/io/protocol.h"
#include "runtime/io/server.h"
#include "runtime/io/socket_address.h"
#include "runtime/io/stream_socket.h"
#include "runtime/io/transport.h"
#include "runtime/task.h"

namespace weft {

// One result of getaddrinfo.
struct AddrInfo {
  int family = AF_UNSPEC;
  int socktype = 0;
  int protocol = 0;
  SocketAddress address;
};

struct ConnectionOptions {
  int family = AF_UNSPEC;  // restrict resolution to AF_INET / AF_INET6
  std::optional<SocketAddress> local_addr;  // bind before connecting
};

struct ServerOptions {
  int family = AF_UNSPEC;
  // listen()'s backlog; negative means 0, as Python's socket.listen. Any value still accepts
  // (asyncio's accept loop never accepts with a backlog <= 0; weft does).
  int backlog = 100;
  bool reuse_address = true;
  bool reuse_port = false;
  bool start_serving = true;
};

struct DatagramOptions {
  // (host, port) to bind; port 0 picks an ephemeral port.
  std::optional<std::pair<std::string, int>> local_addr;
  // (host, port) to connect to: sendto() may omit the address, and only its datagrams arrive.
  std::optional<std::pair<std::string, int>> remote_addr;
  int family = AF_UNSPEC;
  bool reuse_port = false;
  bool allow_broadcast = false;
};

// What NetworkService::open_datagram binds and connects: addresses already resolved.
struct DatagramSocketOptions {
  int family = AF_UNSPEC;               // AF_INET / AF_INET6
  std::optional<SocketAddress> local;   // bind here (port 0: an ephemeral one)
  std::optional<SocketAddress> remote;  // connect here: the default destination, the only source
  bool reuse_port = false;
  bool allow_broadcast = false;
};

// The world's network below asyncio: resolution, connecting one address, listening, datagram
// sockets. What asyncio defines above it — create_connection over several addresses with its
// error aggregation, create_server, Server and serve_forever, the stream and datagram
// transports, create_datagram_endpoint — is written once in runtime/io and runs over either
// world's service (or a decorator of it, or a stand-in: runtime/world.h).
class NetworkService {
 public:
  virtual ~NetworkService() = default;
  // Resolves `host` (numeric hosts at once; names off the loop thread, as asyncio). Throws
  // OSError (errno holds the EAI_* code) when resolution fails.
  virtual Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family,
                                                  int socktype, int flags) = 0;
  // Connects to one resolved address (bound to `local` first when given). Raises the connect
  // error (ConnectionRefusedError, TimeoutError's OSError(ETIMEDOUT), ...) with the peer. A
  // cancelled connect leaves nothing behind (the half-open connection is reset).
  virtual Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                                      std::optional<SocketAddress> local) = 0;
  // Binds and listens on each of `addresses` (each with its port; 0 picks one). OSError
  // (EADDRINUSE, EADDRNOTAVAIL, ...) naming the address when one fails; nothing stays bound then.
  virtual std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>& addresses,
                                                        const ServerOptions& options) = 0;
  // Opens a UDP socket of `options.family`, bound to `options.local` when given and connected
  // to `options.remote` when given (both never wait, as listen). OSError (EADDRINUSE,
  // EADDRNOTAVAIL, ...) naming the address when one fails; nothing stays open then. asyncio's
  // create_datagram_endpoint above it (resolution, the transport, the protocol) is written once
  // in runtime/io.
  virtual std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions& options) = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_NETWORK_SERVICE_H_
