// weft::DatagramTransport: asyncio.DatagramTransport (UDP). sendto never blocks: datagrams the
// socket refuses for now are buffered (pause_writing / resume_writing at the water marks, as a
// stream's); send and receive errors go to the protocol's error_received.
#ifndef WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_
#define WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "runtime/io/base_transport.h"
#include "runtime/io/socket_address.h"

namespace weft {

class DatagramTransport : public virtual BaseTransport {
 public:
  // Sends `data` as one datagram (an empty one too, as asyncio 3.13) to `addr`, or to the
  // remote address the endpoint was created with. ValueError if `addr` differs from that remote
  // address, if neither is given, or if `addr` is not a numeric address. An error of the send
  // itself (EMSGSIZE, ConnectionRefusedError, ...) goes to the protocol's error_received, not to
  // the caller. Dropped silently once the endpoint is lost (close() with nothing buffered,
  // abort(), connection_lost); while a close() waits for buffered datagrams, it joins them.
  virtual void sendto(std::string_view data, std::optional<SocketAddress> addr = std::nullopt) = 0;
  // Closes at once, dropping buffered datagrams; connection_lost gets a null exception.
  virtual void abort() = 0;
  // Bytes buffered, each datagram counted with 8 bytes of UDP header (asyncio 3.13).
  virtual size_t get_write_buffer_size() const = 0;
  // The water marks of the write buffer (asyncio's _FlowControlMixin, as WriteTransport's):
  // ValueError unless high >= low >= 0; high defaults to 4 * low (64 KiB when both are missing).
  virtual void set_write_buffer_limits(std::optional<long> high = std::nullopt,
                                       std::optional<long> low = std::nullopt) = 0;
  virtual std::pair<size_t, size_t> get_write_buffer_limits() const = 0;  // (low, high)
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_DATAGRAM_TRANSPORT_H_
