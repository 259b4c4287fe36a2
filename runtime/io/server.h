// weft::Server: asyncio.Server, what create_server / start_server return. It accepts until
// close(); connections already accepted live on. wait_closed() returns once the server is closed
// and every connection it accepted has been lost.
#ifndef WEFT_RUNTIME_IO_SERVER_H_
#define WEFT_RUNTIME_IO_SERVER_H_

#include <vector>

#include "runtime/io/socket_address.h"
#include "runtime/task.h"

namespace weft {

class EventLoop;

class Server {
 public:
  virtual ~Server() = default;
  // Stops listening and closes the listening sockets; cancels a running serve_forever().
  // Accepted connections stay open. Idempotent.
  virtual void close() = 0;
  // Waits until closed and every accepted connection is lost. A cancelled wait leaves the
  // server as it was.
  virtual Task<void> wait_closed() = 0;
  // Starts accepting (if not yet) and waits until close(): raises CancelledError then, as
  // asyncio. Cancelling it closes the server and waits for wait_closed().
  virtual Task<void> serve_forever() = 0;
  virtual void start_serving() = 0;
  virtual bool is_serving() const = 0;
  // weft: the addresses the server listens on (asyncio returns socket objects); empty once
  // closed. Use sockets()[0].port to learn an ephemeral port.
  virtual std::vector<SocketAddress> sockets() const = 0;
  virtual EventLoop& get_loop() const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_SERVER_H_
