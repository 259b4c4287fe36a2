// StreamReaderProtocol: asyncio's adapter between a Protocol and a StreamReader / StreamWriter
// pair (open_connection, start_server). For start_server it runs the client callback as a task
// per connection, named "client_connected_cb <peer>", and closes the transport when that task
// fails.
#ifndef WEFT_RUNTIME_IO_INTERNAL_STREAM_PROTOCOL_H_
#define WEFT_RUNTIME_IO_INTERNAL_STREAM_PROTOCOL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/future.h"
#include "runtime/io/internal/flow_control.h"
#include "runtime/io/protocol.h"
#include "runtime/io/stream_reader.h"
#include "runtime/task.h"

namespace weft {
class StreamWriter;
using ClientConnectedCallback =
    std::function<Task<void>(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>)>;
}  // namespace weft

namespace weft::io_internal {

class StreamReaderProtocol final : public Protocol,
                                   public FlowControl,
                                   public std::enable_shared_from_this<StreamReaderProtocol> {
 public:
  StreamReaderProtocol(std::shared_ptr<StreamReader> reader, ClientConnectedCallback cb = {});

  void connection_made(std::shared_ptr<Transport> transport) override;
  void connection_lost(std::exception_ptr exc) override;
  void data_received(std::string data) override;
  bool eof_received() override;
  void pause_writing() override { flow_pause_writing(); }
  void resume_writing() override { flow_resume_writing(); }
  std::optional<Future<void>> closed_future() override { return closed_; }

 private:
  std::shared_ptr<StreamReader> reader_;
  ClientConnectedCallback cb_;
  std::shared_ptr<Transport> transport_;  // dropped at connection_lost
  Future<void> closed_;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_STREAM_PROTOCOL_H_
