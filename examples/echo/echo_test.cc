#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "examples/echo/echo.h"
#include "runtime/io/subprocess.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft::examples {
namespace {

using EchoTest = testing::FdCheckedTest;

Task<std::vector<std::string>> with_our_client() {
  auto server = co_await echo_server("127.0.0.1", 0);
  const int port = server->sockets().at(0).port;
  // (A braced list inside co_await trips g++ 12's "array used as initializer" bug.)
  std::vector<std::string> lines = {"hello", "", "world"};
  auto echoed = co_await echo_client("127.0.0.1", port, lines);
  server->close();
  co_await server->wait_closed();
  co_return echoed;
}

TEST_F(EchoTest, OurClientGetsEveryLineBack) {
  EXPECT_EQ(weft::run(with_our_client()), (std::vector<std::string>{"hello", "", "world"}));
}

Task<std::pair<std::string, int>> with_socat(std::string host) {
  auto server = co_await echo_server(host, 0);
  const SocketAddress addr = server->sockets().at(0);
  const std::string target = addr.family == AF_INET6
                                 ? "TCP6:[" + addr.host + "]:" + std::to_string(addr.port)
                                 : "TCP4:" + addr.host + ":" + std::to_string(addr.port);
  SubprocessOptions opts;
  opts.stdin_mode = PIPE;
  opts.stdout_mode = PIPE;
  // -t30: after its stdin ends socat waits this long for the echoes (default 0.5 s, which a
  // busy machine can exceed); it exits as soon as the server closes, so a normal run is fast.
  std::vector<std::string> argv = {"socat", "-t30", "-", target};
  auto socat = co_await create_subprocess_exec(argv, opts);
  auto [out, err] = co_await socat->communicate("one\ntwo\nthree\n");
  int rc = co_await socat->wait();
  server->close();
  co_await server->wait_closed();
  co_return std::make_pair(out, rc);
}

TEST_F(EchoTest, SocatClientOverIPv4) {
  auto [out, rc] = weft::run(with_socat("127.0.0.1"));
  EXPECT_EQ(out, "one\ntwo\nthree\n");
  EXPECT_EQ(rc, 0);
}

TEST_F(EchoTest, SocatClientOverIPv6) {
  auto [out, rc] = weft::run(with_socat("::1"));
  EXPECT_EQ(out, "one\ntwo\nthree\n");
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace weft::examples
