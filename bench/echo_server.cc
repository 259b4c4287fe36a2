// W5: weft's line-echo server for bench/compare, on the Protocol API (the same contract as the
// raw epoll C server and asyncio's EchoProtocol: write back every complete line at once, keep a
// partial line for later).
//   echo_server [PORT]   (0 or none: any free port) — prints "PORT <n>" once listening; serves
//   on 127.0.0.1 until killed.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "runtime/io/network.h"
#include "runtime/io/protocol.h"
#include "runtime/io/server.h"
#include "runtime/run.h"
#include "runtime/weft.h"

namespace {

class EchoProtocol final : public weft::Protocol {
 public:
  void connection_made(std::shared_ptr<weft::Transport> transport) override {
    transport_ = std::move(transport);
  }
  void data_received(std::string data) override {
    if (!pending_.empty()) {
      pending_ += data;
      data = std::move(pending_);
      pending_.clear();
    }
    const size_t end = data.rfind('\n');
    if (end == std::string::npos) {
      pending_ = std::move(data);
      return;
    }
    transport_->write(std::string_view(data).substr(0, end + 1));
    if (end + 1 < data.size()) pending_.assign(data, end + 1);
  }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<weft::Transport> transport_;
  std::string pending_;
};

weft::Task<int> serve(int port) {
  weft::ProtocolFactory factory = [] { return std::make_shared<EchoProtocol>(); };
  auto start = weft::create_server(std::move(factory), "127.0.0.1", port);
  std::shared_ptr<weft::Server> server = co_await std::move(start);
  std::printf("PORT %d\n", server->sockets().at(0).port);
  std::fflush(stdout);
  try {
    auto forever = server->serve_forever();
    co_await std::move(forever);
  } catch (const weft::CancelledError&) {
    // serve_forever ends by cancellation when the server closes: a normal stop.
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  try {
    return weft::run(serve(port));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
}
