// The echo example, unchanged, in the simulated world: the server on node "server", clients on
// nodes of their own, over links with random latency and partial reads. Every client gets its
// lines back in order on every seed, and a seed fixes the run (same digest twice).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/echo/echo.h"
#include "runtime/weft.h"
#include "sim/node.h"
#include "sim/run.h"

namespace weft::examples {
namespace {

using Replies = std::vector<std::vector<std::string>>;

Task<Replies> echo_world(int clients) {
  sim::Node server("server", {"10.0.0.10", "fd00::10"}, []() -> Task<void> {
    auto start = echo_server("", 7);  // every address of the node, both families
    auto srv = co_await std::move(start);
    co_await srv->serve_forever();
  });
  server.start();
  co_await sleep(0.01);
  std::vector<std::unique_ptr<sim::Node>> nodes;
  std::vector<TaskHandle<std::vector<std::string>>> sessions;
  for (int i = 0; i < clients; ++i) {
    nodes.push_back(std::make_unique<sim::Node>(
        absl::StrCat("client", i),
        std::vector<std::string>{absl::StrCat("10.0.1.", i + 1), absl::StrCat("fd00:1::", i + 1)}));
    std::vector<std::string> lines;
    for (int j = 0; j < 5; ++j) lines.push_back(absl::StrCat("c", i, " line ", j));
    // Half the clients use the name, half the IPv6 address.
    std::string host = i % 2 == 0 ? "server" : "fd00::10";
    sessions.push_back(nodes.back()->spawn(echo_client(host, 7, std::move(lines))));
  }
  Replies replies;
  for (auto& s : sessions) replies.push_back(co_await s);
  co_return replies;
}

Replies expected(int clients) {
  Replies r;
  for (int i = 0; i < clients; ++i) {
    std::vector<std::string> lines;
    for (int j = 0; j < 5; ++j) lines.push_back(absl::StrCat("c", i, " line ", j));
    r.push_back(lines);
  }
  return r;
}

TEST(EchoSimTest, EveryClientGetsItsLinesBackOnEverySeed) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto result = sim::run(echo_world(4), config);
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    EXPECT_EQ(result.value(), expected(4)) << "seed " << seed;
  }
}

TEST(EchoSimTest, SameSeedSameDigest) {
  for (uint64_t seed : {5u, 6u, 7u}) {
    sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto a = sim::run(echo_world(3), config);
    auto b = sim::run(echo_world(3), config);
    EXPECT_EQ(a.digest, b.digest) << "seed " << seed;
    EXPECT_EQ(a.end_time_ns, b.end_time_ns) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft::examples
