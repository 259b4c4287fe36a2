// The key-value example on the real loop, over 127.0.0.1.
#include "examples/kv/kv.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/io/streams.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft::examples {
namespace {

using KvTest = testing::FdCheckedTest;

TEST(KvApplyTest, SetGetMissingAndErrors) {
  std::map<std::string, std::string> store;
  EXPECT_EQ(kv_apply(store, "GET a"), "MISSING");
  EXPECT_EQ(kv_apply(store, "SET a hello world"), "OK");
  EXPECT_EQ(kv_apply(store, "GET a"), "VALUE hello world");
  EXPECT_EQ(kv_apply(store, "DEL a"), "ERROR bad request: DEL a");
  EXPECT_EQ(kv_apply(store, "GET"), "ERROR bad request: GET");
}

// Finds a free port by binding port 0 once, then serves on it (the server task is cancelled).
Task<int> free_port() {
  auto probe = start_server(
      [](std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter> w) -> Task<void> {
        w->close();
        co_return;
      },
      "127.0.0.1", 0);
  auto server = co_await std::move(probe);
  int port = server->sockets().at(0).port;
  server->close();
  co_await server->wait_closed();
  co_return port;
}

TEST_F(KvTest, RequestsOverLoopbackAndAReconnectAfterTheServerRestarts) {
  auto main = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> replies;
    int port = co_await free_port();
    auto server = create_task(kv_serve_forever("127.0.0.1", port));
    co_await sleep(0.01);
    // Retries every 10 ms for up to 30 s: the restarted server's start is not timed.
    KvClient client("127.0.0.1", port, 0.01, 3000);
    replies.push_back(co_await client.request("SET k v1"));
    replies.push_back(co_await client.request("GET k"));
    replies.push_back(co_await client.request("NOPE"));
    // Stop the server (its store goes with it) and start a fresh one on the same port.
    server.cancel();
    try {
      co_await server;
    } catch (const CancelledError&) {
    }
    auto again = create_task(kv_serve_forever("127.0.0.1", port));
    replies.push_back(co_await client.request("GET k"));
    replies.push_back("connects=" + std::to_string(client.connects()));
    co_await client.close();
    again.cancel();
    try {
      co_await again;
    } catch (const CancelledError&) {
    }
    co_return replies;
  };
  EXPECT_EQ(weft::run(main()), (std::vector<std::string>{"OK", "VALUE v1",
                                                         "ERROR bad request: NOPE", "MISSING",
                                                         "connects=2"}));
}

}  // namespace
}  // namespace weft::examples
