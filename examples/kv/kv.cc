#include "examples/kv/kv.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "runtime/errors.h"
#include "runtime/io/streams.h"
#include "runtime/future.h"
#include "runtime/sleep.h"

namespace weft::examples {

std::string kv_apply(std::map<std::string, std::string>& store, const std::string& request) {
  std::vector<std::string> words = absl::StrSplit(request, absl::MaxSplits(' ', 2));
  if (words.size() == 3 && words[0] == "SET") {
    store[words[1]] = words[2];
    return "OK";
  }
  if (words.size() == 2 && words[0] == "GET") {
    auto it = store.find(words[1]);
    return it == store.end() ? "MISSING" : "VALUE " + it->second;
  }
  return "ERROR bad request: " + request;
}

namespace {

// What one server incarnation owns: its store and its open connections. Shared with the
// connection tasks, which may outlive kv_serve_forever's frame by a few steps.
struct ServerState {
  std::map<std::string, std::string> store;
  std::vector<std::shared_ptr<StreamWriter>> writers;
};

// Aborts every connection when kv_serve_forever ends — cancelled, or its frame destroyed by a
// crash — as the exit of a server process would: clients see the connection go, not a server
// that answers from a store that no longer exists.
struct AbortConnectionsOnExit {
  std::shared_ptr<ServerState> state;
  std::shared_ptr<Server> server;
  ~AbortConnectionsOnExit() {
    server->close();
    for (auto& w : state->writers) {
      if (!w->is_closing()) w->transport()->abort();
    }
  }
};

Task<void> serve_connection(std::shared_ptr<ServerState> state,
                            std::shared_ptr<StreamReader> reader,
                            std::shared_ptr<StreamWriter> writer) {
  state->writers.push_back(writer);
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty() || line.back() != '\n') break;  // EOF (a partial last line is dropped)
    line.pop_back();
    writer->write(kv_apply(state->store, line) + "\n");
    co_await writer->drain();
  }
  std::erase(state->writers, writer);
  writer->close();
  co_await writer->wait_closed();
}

}  // namespace

Task<void> kv_serve_forever(std::string host, int port) {
  auto state = std::make_shared<ServerState>();
  // Weak: each connection's protocol keeps a copy of this callback, and the state keeps the
  // connections' writers, which keep the protocols — a strong capture would be a cycle.
  std::weak_ptr<ServerState> weak = state;
  ClientConnectedCallback on_client = [weak](std::shared_ptr<StreamReader> r,
                                             std::shared_ptr<StreamWriter> w) -> Task<void> {
    std::shared_ptr<ServerState> live = weak.lock();
    if (!live) {
      // The server is gone; a connection that raced its end is just closed.
      w->close();
      return w->wait_closed();
    }
    return serve_connection(std::move(live), std::move(r), std::move(w));
  };
  auto start = start_server(std::move(on_client), std::move(host), port);
  std::shared_ptr<Server> server = co_await std::move(start);
  AbortConnectionsOnExit guard{state, server};
  // Not server->serve_forever(): cancelling that waits for every connection to close first
  // (asyncio 3.12's wait_closed), and ours stay open until the guard aborts them.
  Future<void> forever = get_running_loop().create_future<void>();
  co_await forever;
}

Task<std::string> KvClient::try_once(const std::string& line) {
  if (!writer_) {
    auto connect = open_connection(host_, port_);
    auto [reader, writer] = co_await std::move(connect);
    reader_ = std::move(reader);
    writer_ = std::move(writer);
    ++connects_;
  }
  writer_->write(line + "\n");
  co_await writer_->drain();
  std::string reply = co_await reader_->readline();
  if (reply.empty() || reply.back() != '\n') {
    throw ConnectionResetError(0, "kv server closed the connection before replying",
                               host_ + ":" + std::to_string(port_));
  }
  reply.pop_back();
  co_return reply;
}

Task<std::string> KvClient::request(std::string line) {
  for (int attempt = 1;; ++attempt) {
    std::exception_ptr error;
    try {
      Task<std::string> once = try_once(line);  // named: see README (g++ 12 and co_await)
      std::string reply = co_await std::move(once);
      co_return reply;
    } catch (const ConnectionError&) {
      error = std::current_exception();
    } catch (const OSError&) {
      // Timeouts and unreachable hosts from the network: as retryable as a reset.
      error = std::current_exception();
    }
    ++failures_;
    if (writer_) writer_->transport()->abort();
    reader_.reset();
    writer_.reset();
    if (attempt >= max_attempts_) std::rethrow_exception(error);
    co_await sleep(retry_delay_s_);
  }
}

Task<void> KvClient::close() {
  if (!writer_) co_return;
  auto writer = std::move(writer_);
  reader_.reset();
  writer->close();
  co_await writer->wait_closed();
}

}  // namespace weft::examples
