// weft::SubprocessProtocol: asyncio.SubprocessProtocol. connection_made, then pipe_data_received
// / pipe_connection_lost per pipe and process_exited once (in the order they happen), then
// connection_lost once every pipe is closed and the child has exited.
#ifndef WEFT_RUNTIME_IO_SUBPROCESS_PROTOCOL_H_
#define WEFT_RUNTIME_IO_SUBPROCESS_PROTOCOL_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "runtime/io/base_protocol.h"
#include "runtime/io/subprocess_transport.h"

namespace weft {

class SubprocessProtocol : public BaseProtocol {
 public:
  virtual void connection_made(std::shared_ptr<SubprocessTransport> transport) {
    (void)transport;
  }
  // `fd` is 1 (stdout) or 2 (stderr).
  virtual void pipe_data_received(int fd, std::string data) {
    (void)fd;
    (void)data;
  }
  virtual void pipe_connection_lost(int fd, std::exception_ptr exc) {
    (void)fd;
    (void)exc;
  }
  virtual void process_exited() {}
};

using SubprocessProtocolFactory = std::function<std::shared_ptr<SubprocessProtocol>()>;

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_SUBPROCESS_PROTOCOL_H_
