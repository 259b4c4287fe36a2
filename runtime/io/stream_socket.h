// weft::StreamSocket: one byte stream as a world provides it, below asyncio (DESIGN.md §3): a
// connected TCP socket or one end of a child's pipe. It says when it is readable or writable and
// moves bytes, with the results a system call gives (bytes, EOF, an errno); nothing else. What
// asyncio defines above it — the transport, its write buffer and flow control, the protocol
// callbacks and their order, close and abort — is written once, in runtime/io
// (io_internal::StreamTransport), and runs unchanged over the real world's fds and the simulated
// world's connections and pipes. A recorder decorates a StreamSocket to see every result that
// reaches the program; a replayer stands in for one and returns recorded results.
//
//   world ─ on_readable ─► transport ─ read() ─► bytes | EOF | errno ─► protocol
//   protocol ─ write() ─► transport ─ write() ─► n bytes taken | EAGAIN (wait on_writable) | errno
//
// Loop thread only. Readiness is level-triggered, as epoll's (and asyncio's selector loop):
// while read interest is on and read() would not return EAGAIN, on_readable runs once per loop
// iteration, each time from its own ready-queue entry tagged with id(); the same for writes.
#ifndef WEFT_RUNTIME_IO_STREAM_SOCKET_H_
#define WEFT_RUNTIME_IO_STREAM_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io/base_transport.h"
#include "runtime/io/io_result.h"
#include "runtime/io/socket_address.h"

namespace weft {

class StreamSocket {
 public:
  enum class Kind : uint8_t {
    kConnection,  // both directions; shutdown_write() half-closes
    kReadPipe,    // reads only (a child's stdout / stderr)
    kWritePipe,   // writes only (a child's stdin); readable means the reader went away
  };

  // What the socket tells its owner (the transport). Called on the loop thread, never from
  // inside a call of the owner into the socket.
  class Events {
   public:
    // read() would not return EAGAIN (bytes, EOF or an error are waiting). For a write pipe:
    // the reader went away (a write now fails with EPIPE).
    virtual void on_readable() = 0;
    // write() would take bytes (or report the error that stops it).
    virtual void on_writable() = 0;
    // The loop closed: the socket is released (fd closed, peer reset), no callback follows.
    // The owner lets go of what it holds without calling user code: it moves into `graveyard`
    // whatever may run user destructors (its protocol, itself), and the world destroys those
    // once its own state is consistent. The socket object stays valid until its owner lets go
    // of it, and every call on it is then a no-op.
    virtual void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept = 0;

   protected:
    ~Events() = default;
  };

  virtual ~StreamSocket() = default;

  virtual Kind kind() const = 0;
  // The loop-issued resource id of this connection or pipe (DESIGN.md §5): every readiness
  // callback's ready entry carries it. Never an fd.
  virtual uint64_t id() const = 0;

  // The owner to tell; null stops every callback. Set once, before the first interest.
  virtual void set_events(Events* events) = 0;
  // Read / write interest (level-triggered, see above). Both start off.
  virtual void want_read(bool on) = 0;
  virtual void want_write(bool on) = 0;

  // Replaces `into` with the next bytes available (as many as one read gives: the chunking is
  // the world's, and a recorder keeps it). EOF: 0 bytes, err 0. EAGAIN: nothing yet.
  virtual IoResult read(std::string& into) = 0;
  // Takes what it can of `data` now: `bytes` may be less than data.size() (then wait for
  // on_writable); EAGAIN when it takes nothing; EPIPE / ECONNRESET / ... when the stream is gone.
  virtual IoResult write(std::string_view data) = 0;
  // Half-close (shutdown(SHUT_WR)): the peer reads EOF after what was written. Connections only.
  virtual void shutdown_write() = 0;
  // Releases the stream: no callback after it. The peer reads EOF after what was written, or
  // gets a reset (ECONNRESET) when `reset` (SO_LINGER 0: asyncio's abort on a socket with
  // linger set; weft's sim::Network::reset).
  virtual void close(bool reset = false) = 0;

  // Addresses (connections; default-constructed for pipes).
  virtual SocketAddress local_address() const = 0;
  virtual SocketAddress peer_address() const = 0;
  // The world's extra names for get_extra_info ("socket" / "pipe": the fd, in the real world);
  // monostate for a name it does not know.
  virtual ExtraInfo extra_info(std::string_view name) const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_STREAM_SOCKET_H_
