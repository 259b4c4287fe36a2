// asyncio's create_connection, create_server and create_datagram_endpoint written once, over the
// running loop's NetworkService (runtime/io/network_service.h). runtime/io/network.h wraps them
// for users.
#ifndef WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_
#define WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_

#include <memory>
#include <string>

#include "runtime/io/datagram_protocol.h"
#include "runtime/io/datagram_transport.h"
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

// asyncio's create_datagram_endpoint over `net`: resolves local_addr (AI_PASSIVE) and
// remote_addr with getaddrinfo (the first result each; the remote in the local one's family),
// opens the socket (NetworkService::open_datagram), then calls `factory()` once; the protocol's
// connection_made has run when this returns. ValueError("unexpected address family") when
// neither address nor a family is given. A cancelled call leaves no socket behind.
Task<std::shared_ptr<DatagramTransport>> create_datagram_endpoint(NetworkService& net,
                                                                  DatagramProtocolFactory factory,
                                                                  DatagramOptions options);

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_CONNECT_H_
