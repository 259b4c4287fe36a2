// weft::BaseTransport: asyncio.BaseTransport, the root of every transport. A transport is owned
// through std::shared_ptr; the world keeps it alive while it is open, and it drops its protocol
// after calling connection_lost (which breaks the transport <-> protocol cycle).
#ifndef WEFT_RUNTIME_IO_BASE_TRANSPORT_H_
#define WEFT_RUNTIME_IO_BASE_TRANSPORT_H_

#include <cstdint>
#include <string_view>
#include <variant>

#include "runtime/io/socket_address.h"

namespace weft {

// get_extra_info's value: monostate for an unknown key (asyncio's None), a SocketAddress for
// "peername" / "sockname", an int for "socket" (weft: the fd, not a socket object) and "pid".
using ExtraInfo = std::variant<std::monostate, SocketAddress, int>;

class BaseTransport {
 public:
  virtual ~BaseTransport() = default;
  // Closes the transport: buffered data is still flushed, then the protocol's connection_lost
  // runs (on a later iteration) with a null exception. Idempotent.
  virtual void close() = 0;
  // True once close() or abort() was called or the connection was lost.
  virtual bool is_closing() const = 0;
  virtual ExtraInfo get_extra_info(std::string_view name) const = 0;
  // The loop-issued resource id of what the transport carries (DESIGN.md §5): its connection,
  // datagram endpoint or child process — never an fd. Callbacks the world schedules for it, and
  // stream reads and drains that wait on it, carry this id to the loop, which reports it as the
  // resource of the woken task's step. 0: no loop resource (a stand-in written by a test).
  virtual uint64_t resource_id() const { return 0; }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_BASE_TRANSPORT_H_
