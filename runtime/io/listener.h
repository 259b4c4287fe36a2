// weft::Listener: one listening socket as a world provides it, below asyncio (DESIGN.md §3). It
// says when a connection is waiting and hands it over as a StreamSocket; asyncio's Server above
// it (serving, serve_forever, wait_closed, the protocol per connection) is written once, in
// runtime/io (io_internal::StreamServer). Loop thread only; readiness is level-triggered, as
// StreamSocket's.
#ifndef WEFT_RUNTIME_IO_LISTENER_H_
#define WEFT_RUNTIME_IO_LISTENER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/io/socket_address.h"
#include "runtime/io/stream_socket.h"

namespace weft {

class Listener {
 public:
  class Events {
   public:
    // accept() would not return EAGAIN.
    virtual void on_acceptable() = 0;
    // The loop closed, or the host crashed: the listener is gone, no callback follows. As
    // StreamSocket::Events::on_abandoned: what may run user destructors goes to `graveyard`.
    virtual void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept = 0;

   protected:
    ~Events() = default;
  };

  virtual ~Listener() = default;

  // The loop-issued resource id (DESIGN.md §5).
  virtual uint64_t id() const = 0;
  virtual void set_events(Events* events) = 0;
  // Accept interest (level-triggered); starts off.
  virtual void want_accept(bool on) = 0;
  // The next connection the world completed, or null with `err` set: EAGAIN (none waiting), or
  // the errno that stopped it (EMFILE: out of descriptors, ...).
  virtual std::shared_ptr<StreamSocket> accept(int& err) = 0;
  // The address it listens on (the port chosen when 0 was asked for).
  virtual SocketAddress address() const = 0;
  // Stops listening; connections completed but not accepted are reset, as closing a listening
  // socket does. No callback after it. Idempotent.
  virtual void close() = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_LISTENER_H_
