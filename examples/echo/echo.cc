#include "examples/echo/echo.h"

#include "runtime/io/streams.h"

namespace weft::examples {

Task<void> echo_connection(std::shared_ptr<StreamReader> reader,
                           std::shared_ptr<StreamWriter> writer) {
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;  // EOF
    writer->write(line);
    co_await writer->drain();
  }
  writer->close();
  co_await writer->wait_closed();
}

Task<std::shared_ptr<Server>> echo_server(std::string host, int port) {
  auto start = start_server(echo_connection, std::move(host), port);
  co_return co_await std::move(start);
}

Task<std::vector<std::string>> echo_client(std::string host, int port,
                                           std::vector<std::string> lines) {
  auto connect = open_connection(std::move(host), port);
  auto [reader, writer] = co_await std::move(connect);
  for (const auto& line : lines) writer->write(line + "\n");
  co_await writer->drain();
  writer->write_eof();
  std::vector<std::string> echoed;
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    if (line.back() == '\n') line.pop_back();
    echoed.push_back(std::move(line));
  }
  writer->close();
  co_await writer->wait_closed();
  co_return echoed;
}

}  // namespace weft::examples
