// A tiny key-value protocol with a classic framing bug, written once against the streams API so
// it runs unchanged on the real loop and the simulated one. The client sends "key=value\n"
// messages one at a time and expects "ok key\n" for each; the server stores the pairs.
//
// serve_buggy assumes one read() returns exactly one whole message. Over loopback on the real
// loop that nearly always holds, so it passes; the simulated network splits writes into partial
// reads by seed, and the bug shows. serve_fixed frames by line (readline) and never breaks.
#ifndef WEFT_EXAMPLES_FRAMING_FRAMING_H_
#define WEFT_EXAMPLES_FRAMING_FRAMING_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/server.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/task.h"

namespace weft::examples::framing {

using Store = std::map<std::string, std::string>;

// Serves one connection until EOF. Buggy: one read(1024) is taken as one message.
Task<void> serve_buggy(std::shared_ptr<Store> store, std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer);
// Serves one connection until EOF, one line per message.
Task<void> serve_fixed(std::shared_ptr<Store> store, std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer);

// Starts a store server on (host, port); port 0 picks one (read sockets()[0].port).
Task<std::shared_ptr<Server>> start_store(std::string host, int port, bool buggy,
                                          std::shared_ptr<Store> store);

// Sends each pair and checks each reply; returns the first wrong reply as an error text, or ""
// when every reply was right.
Task<std::string> put_all(std::string host, int port,
                          std::vector<std::pair<std::string, std::string>> pairs);

// One whole session on `host`: a server (buggy or fixed), one client putting three pairs.
// Returns "" when the replies and the server's store are right, else what went wrong.
Task<std::string> session(std::string host, bool buggy);

}  // namespace weft::examples::framing

#endif  // WEFT_EXAMPLES_FRAMING_FRAMING_H_
