// The key-value example in the simulated world: the server runs on node "kv"; clients run on
// nodes of their own. The server node is killed at t = 1 s and restarted at t = 3 s: clients see
// resets (or refused / timed-out connects), reconnect, and find the store empty after the crash.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/kv/kv.h"
#include "runtime/weft.h"
#include "sim/net/network.h"
#include "sim/node.h"
#include "sim/run.h"

namespace weft::examples {
namespace {

struct ClientReport {
  std::vector<std::string> before_crash;  // replies to requests made before t = 1 s
  std::string after_restart;              // the reply to GET of a key set before the crash
  int connects = 0;
  int failures = 0;
};

struct Outcome {
  std::vector<ClientReport> clients;
  bool operator==(const Outcome&) const = default;
};

bool operator==(const ClientReport& a, const ClientReport& b) {
  return a.before_crash == b.before_crash && a.after_restart == b.after_restart &&
         a.connects == b.connects && a.failures == b.failures;
}

Task<ClientReport> client_session(int id) {
  ClientReport report;
  KvClient kv("kv", 7000, /*retry_delay_s=*/0.2, /*max_attempts=*/200);
  const std::string key = absl::StrCat("k", id);
  // Before the crash: write and read back.
  report.before_crash.push_back(co_await kv.request(absl::StrCat("SET ", key, " v", id)));
  report.before_crash.push_back(co_await kv.request("GET " + key));
  // Keep the connection busy across the crash and the restart.
  while (get_running_loop().time() < 4.0) {
    co_await kv.request("GET " + key);
    co_await sleep(0.05);
  }
  report.after_restart = co_await kv.request("GET " + key);
  report.connects = kv.connects();
  report.failures = kv.failures();
  co_await kv.close();
  co_return report;
}

Task<Outcome> scenario() {
  auto& net = sim::current_loop().network();
  net.config().connect_timeout_ns = 500 * sim::kMillisecond;
  sim::Node server("kv", {"10.0.1.1"}, [] { return kv_serve_forever("0.0.0.0", 7000); });
  server.start();
  std::vector<std::unique_ptr<sim::Node>> client_nodes;
  std::vector<TaskHandle<ClientReport>> sessions;
  for (int i = 0; i < 3; ++i) {
    client_nodes.push_back(
        std::make_unique<sim::Node>(absl::StrCat("client", i), std::vector<std::string>{
                                                                   absl::StrCat("10.0.2.", i + 1)}));
    co_await sleep(0.01);
    sessions.push_back(client_nodes.back()->spawn(client_session(i)));
  }
  auto crash = net.at(1 * sim::kSecond, [&server] { server.kill(); });
  auto reboot = net.at(3 * sim::kSecond, [&server] { server.restart(); });
  Outcome outcome;
  for (auto& s : sessions) outcome.clients.push_back(co_await s);
  server.kill();
  co_return outcome;
}

void expect_survived(const Outcome& o, uint64_t seed) {
  ASSERT_EQ(o.clients.size(), 3u);
  for (size_t i = 0; i < o.clients.size(); ++i) {
    const ClientReport& c = o.clients[i];
    EXPECT_EQ(c.before_crash,
              (std::vector<std::string>{"OK", absl::StrCat("VALUE v", i)}))
        << "seed " << seed << " client " << i;
    // The crash lost the store: the key set before it is gone.
    EXPECT_EQ(c.after_restart, "MISSING") << "seed " << seed << " client " << i;
    EXPECT_GE(c.connects, 2) << "seed " << seed << " client " << i;
    EXPECT_GE(c.failures, 1) << "seed " << seed << " client " << i;
  }
}

TEST(KvNodeKillTest, ClientsSeeResetsReconnectAndFindTheStoreEmpty) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto result = sim::run(scenario(), config);
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    expect_survived(result.value(), seed);
  }
}

TEST(KvNodeKillTest, SameSeedSameDigest) {
  for (uint64_t seed : {3u, 17u}) {
    sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto a = sim::run(scenario(), config);
    auto b = sim::run(scenario(), config);
    EXPECT_EQ(a.digest, b.digest) << "seed " << seed;
    EXPECT_TRUE(a.value() == b.value()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft::examples
