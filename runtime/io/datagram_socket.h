// weft::DatagramSocket: one UDP socket as a world provides it, below asyncio (DESIGN.md §3). It
// says when it is readable or writable and moves whole datagrams, with the results a system call
// gives (a datagram and its source, or an errno); nothing else. asyncio's datagram transport
// above it — sendto's checks, the write buffer and its flow control, error_received, close and
// abort, the protocol callbacks and their order — is written once, in runtime/io
// (io_internal::SocketDatagramTransport), and runs unchanged over the real world's fds and the
// simulated world's endpoints. A recorder decorates a DatagramSocket; a replayer stands in for one.
//
//   world ─ on_readable ─► transport ─ receive() ─► datagram + source | errno ─► protocol
//   protocol ─ sendto() ─► transport ─ send() ─► sent whole | EAGAIN (wait on_writable) | errno
//
// Loop thread only. Readiness is level-triggered, as StreamSocket's: while read interest is on
// and receive() would not return EAGAIN, on_readable runs once per loop iteration, each time
// from its own ready-queue entry tagged with id(); the same for writes.
#ifndef WEFT_RUNTIME_IO_DATAGRAM_SOCKET_H_
#define WEFT_RUNTIME_IO_DATAGRAM_SOCKET_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io/base_transport.h"
#include "runtime/io/socket_address.h"
#include "runtime/io/io_result.h"

namespace weft {

class DatagramSocket {
 public:
  // What the socket tells its owner (the transport). Called on the loop thread, never from
  // inside a call of the owner into the socket.
  class Events {
   public:
    // receive() would not return EAGAIN: a datagram or a pending error waits.
    virtual void on_readable() = 0;
    // send() would take a datagram (or report the error that stops it).
    virtual void on_writable() = 0;
    // The loop closed, or the simulated host crashed: the socket is released, no callback
    // follows. As StreamSocket::Events::on_abandoned: what may run user destructors (the
    // protocol, the owner itself) goes to `graveyard`, which the world destroys once its own
    // state is consistent. Every later call on the socket is a no-op.
    virtual void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept = 0;

   protected:
    ~Events() = default;
  };

  virtual ~DatagramSocket() = default;

  // The loop-issued resource id of this endpoint (DESIGN.md §5): every readiness callback's
  // ready entry carries it. Never an fd.
  virtual uint64_t id() const = 0;

  // The owner to tell; null stops every callback. Set once, before the first interest.
  virtual void set_events(Events* events) = 0;
  // Read / write interest (level-triggered, see above). Both start off.
  virtual void want_read(bool on) = 0;
  virtual void want_write(bool on) = 0;

  // Replaces `into` with the next datagram and `from` with its source: `bytes` is its size (0
  // for an empty datagram: UDP has no EOF). EAGAIN: none waits. Otherwise the error the socket
  // holds, reported once, as recvfrom does: ECONNREFUSED when an earlier datagram of a connected
  // socket met a port nobody bound (ICMP port unreachable).
  virtual IoResult receive(std::string& into, SocketAddress& from) = 0;
  // Sends `data` as one datagram to `to`, or to the connected peer when `to` is empty. `bytes`
  // is data.size() when it left; EAGAIN: the send buffer is full now (wait for on_writable);
  // EMSGSIZE (larger than one datagram may be), ECONNREFUSED (a connected socket's pending
  // port-unreachable error, reported once; this datagram did not leave), EAFNOSUPPORT (an
  // address of the other family), EDESTADDRREQ (no `to` and not connected), ...
  virtual IoResult send(std::string_view data, const std::optional<SocketAddress>& to) = 0;
  // Releases the socket (unbinds its port): no callback after it. Idempotent.
  virtual void close() = 0;

  // The address it is bound to (the port chosen when 0 was asked for).
  virtual SocketAddress local_address() const = 0;
  // The peer it is connected to, if any: it sends there by default and hears only from there.
  virtual std::optional<SocketAddress> peer_address() const = 0;
  // The world's extra names for get_extra_info ("socket": the fd, in the real world); monostate
  // for a name it does not know.
  virtual ExtraInfo extra_info(std::string_view name) const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_DATAGRAM_SOCKET_H_
