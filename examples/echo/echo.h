// A line-echo server and client written once against the streams API, so they run unchanged on
// the real loop and (once it has a network) the simulated one. The server echoes every line it
// receives until the client closes its side; the client sends lines and returns the echoes.
#ifndef WEFT_EXAMPLES_ECHO_ECHO_H_
#define WEFT_EXAMPLES_ECHO_ECHO_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/io/server.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/task.h"

namespace weft::examples {

// Serves one connection: echoes each line until EOF, then closes.
Task<void> echo_connection(std::shared_ptr<StreamReader> reader,
                           std::shared_ptr<StreamWriter> writer);

// Starts an echo server (port 0 picks a free port: read it from sockets()[0].port).
Task<std::shared_ptr<Server>> echo_server(std::string host, int port);

// Connects, sends each line (a "\n" is appended), half-closes, and returns the lines echoed
// back (without their "\n"), in order.
Task<std::vector<std::string>> echo_client(std::string host, int port,
                                           std::vector<std::string> lines);

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_ECHO_ECHO_H_
