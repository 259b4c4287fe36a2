// echo: `echo server HOST PORT` serves until killed (prints the port it listens on);
// `echo client HOST PORT LINE...` sends the lines and prints the echoes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "examples/echo/echo.h"
#include "runtime/run.h"

namespace {

weft::Task<int> serve(std::string host, int port) {
  auto server = co_await weft::examples::echo_server(host, port);
  std::printf("listening on %s\n", server->sockets().at(0).to_string().c_str());
  std::fflush(stdout);
  try {
    co_await server->serve_forever();
  } catch (const weft::CancelledError&) {
    // serve_forever ends by cancellation when the server closes; that is a normal stop.
  }
  co_return 0;
}

weft::Task<int> client(std::string host, int port, std::vector<std::string> lines) {
  for (const auto& echoed : co_await weft::examples::echo_client(host, port, lines)) {
    std::printf("%s\n", echoed.c_str());
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s server HOST PORT | client HOST PORT LINE...\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::string host = argv[2];
  const int port = std::atoi(argv[3]);
  try {
    if (mode == "server") return weft::run(serve(host, port));
    if (mode == "client") {
      return weft::run(client(host, port, std::vector<std::string>(argv + 4, argv + argc)));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "echo: unknown mode '%s'\n", mode.c_str());
  return 2;
}
