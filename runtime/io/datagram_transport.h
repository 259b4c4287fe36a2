// weft::DatagramTransport: asyncio.DatagramTransport (UDP). sendto never blocks; datagrams the
// kernel refuses for now are buffered. Send errors go to the protocol's error_received.
#ifndef WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_
#define WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "runtime/io/base_transport.h"
#include "runtime/io/socket_address.h"

namespace weft {

class DatagramTransport : public virtual BaseTransport {
 public:
  // Sends one datagram to `addr`, or to the remote address the endpoint was created with
  // (ValueError if `addr` differs from it, or if neither is given).
  virtual void sendto(std::string_view data, std::optional<SocketAddress> addr = std::nullopt) = 0;
  // Closes at once, dropping buffered datagrams.
  virtual void abort() = 0;
  virtual size_t get_write_buffer_size() const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_
