// weft::SocketAddress: an IP endpoint as asyncio reports it (peername, sockname, datagram
// source): a numeric host, a port and the address family (AF_INET / AF_INET6).
// Both worlds use it; the simulated network uses the same numeric form for its fake hosts.
#ifndef WEFT_RUNTIME_IO_SOCKET_ADDRESS_H_
#define WEFT_RUNTIME_IO_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <string>

namespace weft {

struct SocketAddress {
  int family = AF_UNSPEC;
  std::string host;  // numeric: "127.0.0.1", "::1"
  int port = 0;

  // "127.0.0.1:8080", "[::1]:8080" (what ConnectionError::peer holds).
  std::string to_string() const;
  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_SOCKET_ADDRESS_H_
