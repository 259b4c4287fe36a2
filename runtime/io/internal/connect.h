// asyncio's create_connection and create_server written once, over the running loop's
// NetworkService (runtime/io/network_service.h). runtime/io/network.h wraps them for users.
#ifndef WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_
#define WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_

#include <memory>
#include <string>

#include "runtime/io/network_service.h"
#include "runtime/io/protocol.h"
#include "runtime/io/server.h"
#include "runtime/io/transport.h"
#include "runtime/task.h"

namespace weft::io_internal {

// Resolves `host`, connects to its addresses in order until one accepts, and raises the error
// when none does (one error, or several with the same text, as is; otherwise an OSError
// "Multiple exceptions: ..."). Then `factory()` is called once; the protocol's
// connection_made has run when this returns. A cancelled call leaves no connection behind.
Task<std::shared_ptr<Transport>> create_connection(NetworkService& net, ProtocolFactory factory,
                                                   std::string host, int port,
                                                   ConnectionOptions options);

// Resolves `host` ("" = every interface, AI_PASSIVE), listens on every address, and serves
// (unless options.start_serving is false).
Task<std::shared_ptr<Server>> create_server(NetworkService& net, ProtocolFactory factory,
                                            std::string host, int port, ServerOptions options);

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_
