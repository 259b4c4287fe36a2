// asyncio's high-level streams: open_connection and start_server, on the running loop's network.
// Both worlds: they only use create_connection / create_server underneath.
#ifndef WEFT_RUNTIME_IO_STREAMS_H_
#define WEFT_RUNTIME_IO_STREAMS_H_

#include <memory>
#include <string>
#include <utility>

#include "runtime/io/internal/stream_protocol.h"
#include "runtime/io/network_service.h"
#include "runtime/io/server.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/task.h"

namespace weft {

struct StreamOptions {
  long limit = kDefaultStreamLimit;  // the StreamReader's buffer limit; ValueError unless > 0
  int family = AF_UNSPEC;
};

// asyncio.open_connection: connects and returns (reader, writer). Raises what create_connection
// raises (ConnectionRefusedError, ...). A cancelled call leaves no socket behind.
Task<std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>> open_connection(
    std::string host, int port, StreamOptions options = {});

// asyncio.start_server: `client_connected_cb(reader, writer)` runs as a new task per connection,
// named "client_connected_cb <peer>" ("client_connected_cb 127.0.0.1:5555"); if it fails, the
// failure is reported to the loop's exception handler and the connection closed. The server is
// serving when this returns.
Task<std::shared_ptr<Server>> start_server(ClientConnectedCallback client_connected_cb,
                                           std::string host, int port,
                                           StreamOptions options = {},
                                           ServerOptions server_options = {});

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_STREAMS_H_
