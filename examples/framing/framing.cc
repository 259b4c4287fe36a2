#include "examples/framing/framing.h"

#include "runtime/io/streams.h"

namespace weft::examples::framing {
namespace {

// "key=value\n" -> (key, value); false when the text is not exactly one message.
bool parse(const std::string& message, std::string* key, std::string* value) {
  if (message.empty() || message.back() != '\n') return false;
  const size_t eq = message.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  *key = message.substr(0, eq);
  *value = message.substr(eq + 1, message.size() - eq - 2);
  return true;
}

Task<void> answer(Store& store, StreamWriter& writer, const std::string& message) {
  std::string key, value;
  if (parse(message, &key, &value)) {
    store[key] = value;
    writer.write("ok " + key + "\n");
  } else {
    writer.write("error\n");
  }
  co_await writer.drain();
}

}  // namespace

Task<void> serve_buggy(std::shared_ptr<Store> store, std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer) {
  while (true) {
    std::string message = co_await reader->read(1024);  // BUG: a read is not a message
    if (message.empty()) break;
    auto reply = answer(*store, *writer, message);
    co_await std::move(reply);
  }
  writer->close();
}

Task<void> serve_fixed(std::shared_ptr<Store> store, std::shared_ptr<StreamReader> reader,
                       std::shared_ptr<StreamWriter> writer) {
  while (true) {
    std::string message = co_await reader->readline();
    if (message.empty() || message.back() != '\n') break;  // EOF (maybe mid-message)
    auto reply = answer(*store, *writer, message);
    co_await std::move(reply);
  }
  writer->close();
}

Task<std::shared_ptr<Server>> start_store(std::string host, int port, bool buggy,
                                          std::shared_ptr<Store> store) {
  ClientConnectedCallback cb = [store, buggy](std::shared_ptr<StreamReader> r,
                                              std::shared_ptr<StreamWriter> w) {
    return buggy ? serve_buggy(store, std::move(r), std::move(w))
                 : serve_fixed(store, std::move(r), std::move(w));
  };
  auto start = start_server(std::move(cb), std::move(host), port);
  co_return co_await std::move(start);
}

Task<std::string> put_all(std::string host, int port,
                          std::vector<std::pair<std::string, std::string>> pairs) {
  auto connect = open_connection(std::move(host), port);
  auto [reader, writer] = co_await std::move(connect);
  std::string error;
  for (const auto& [key, value] : pairs) {
    writer->write(key + "=" + value + "\n");
    std::string reply = co_await reader->readline();
    if (reply != "ok " + key + "\n") {
      if (!reply.empty() && reply.back() == '\n') reply.pop_back();
      error = "put " + key + ": got '" + reply + "'";
      break;
    }
  }
  writer->close();
  co_await writer->wait_closed();
  co_return error;
}

Task<std::string> session(std::string host, bool buggy) {
  auto store = std::make_shared<Store>();
  auto start = start_store(host, 0, buggy, store);
  auto server = co_await std::move(start);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"colour", "blue"}, {"size", "XL"}, {"shape", "round"}};
  auto put = put_all(host, server->sockets().at(0).port, pairs);
  std::string error = co_await std::move(put);
  server->close();
  co_await server->wait_closed();
  if (error.empty()) {
    const Store expected(pairs.begin(), pairs.end());
    if (*store != expected) error = "the server's store differs";
  }
  co_return error;
}

}  // namespace weft::examples::framing
