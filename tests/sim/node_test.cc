// sim::Node: a named machine whose tasks share a task group; kill() crashes it (tasks dropped,
// peers reset, listeners gone), restart() boots it again. Killing leaks nothing (run under ASan).
#include "sim/node.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/echo/echo.h"
#include "runtime/io/streams.h"
#include "runtime/weft.h"
#include "sim/net/network.h"
#include "sim/run.h"

namespace weft::sim {
namespace {

using Log = std::vector<std::string>;

std::string at(const std::string& what) {
  return absl::StrCat(what, "@", get_running_loop().time());
}

TEST(NodeTest, TasksSpawnedOnANodeAndTheirChildrenRunInItsGroupOnItsHost) {
  auto body = []() -> Task<Log> {
    Log log;
    Node node("db", {"10.1.0.1"});
    auto probe = [](Log& l, std::string who) -> Task<void> {
      auto& net = current_loop().network();
      l.push_back(absl::StrCat(who, " group=", get_running_loop().current_group(),
                               " host=", net.host_name(net.current_host())));
      co_return;
    };
    auto parent = node.spawn([](Log& l, auto p) -> Task<void> {
      co_await p(l, "parent");
      auto child = create_task(p(l, "child"));
      co_await child;
    }(log, probe));
    co_await parent;
    co_await probe(log, "main");
    co_return log;
  };
  EXPECT_EQ(sim::run(body()).value(),
            (Log{"parent group=1 host=db", "child group=1 host=db", "main group=0 host=default"}));
}

TEST(NodeTest, KillStopsEveryTaskAndRestartBootsAgain) {
  auto body = []() -> Task<Log> {
    auto log = std::make_shared<Log>();
    Node node("ticker", {"10.1.0.2"}, [log]() -> Task<void> {
      log->push_back(at("boot"));
      for (int i = 1;; ++i) {
        co_await sleep(1);
        log->push_back(at(absl::StrCat("tick", i)));
      }
    });
    node.start();
    co_await sleep(2.5);
    node.kill();
    log->push_back(at(node.alive() ? "alive" : "down"));
    co_await sleep(2);
    auto boot = node.restart();
    co_await sleep(1.5);
    log->push_back(at(absl::StrCat("boots=", node.boots())));
    node.kill();
    co_await sleep(1);
    co_return *log;
  };
  EXPECT_EQ(sim::run(body()).value(),
            (Log{"boot@0", "tick1@1", "tick2@2", "down@2.5", "boot@4.5", "tick1@5.5", "boots=2@6"}));
}

TEST(NodeTest, SpawningOnADownNodeRaisesRuntimeError) {
  auto body = []() -> Task<bool> {
    Node node("gone", {"10.1.0.3"});
    node.kill();
    try {
      node.spawn([]() -> Task<void> { co_await sleep(1); }());
    } catch (const RuntimeError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(sim::run(body()).value());
}

// A client on the default host talks to an echo server on a node; the node crashes mid-
// conversation: the client's next read fails with ConnectionResetError, and a new connection
// attempt after the restart reaches the rebooted server.
TEST(NodeTest, CrashResetsPeersAndTheRebootedServerAnswersAgain) {
  auto body = []() -> Task<Log> {
    // Fixed latency and whole segments, so the run reads simply.
    auto& net = current_loop().network();
    net.config().link = link_with_latency(1 * kMillisecond, 1 * kMillisecond);
    net.config().partial_read_probability = 0;
    Log log;
    Node server("echo", {"10.1.0.4"}, []() -> Task<void> {
      auto start = examples::echo_server("0.0.0.0", 7);
      auto srv = co_await std::move(start);
      co_await srv->serve_forever();
    });
    server.start();
    co_await sleep(0.1);
    auto connect = open_connection("10.1.0.4", 7);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("one\n");
    std::string first = co_await reader->readline();
    log.push_back(at("echo " + first));
    server.kill();
    try {
      std::string line = co_await reader->readline();
      log.push_back("read " + line);
    } catch (const ConnectionResetError&) {
      log.push_back("reset");
    }
    writer->close();
    server.restart();
    co_await sleep(0.1);
    std::vector<std::string> lines = {"two"};
    auto again = examples::echo_client("echo", 7, lines);
    auto echoed = co_await std::move(again);
    log.push_back("after restart: " + echoed.at(0));
    co_return log;
  };
  EXPECT_EQ(sim::run(body()).value(),
            (Log{"echo one\n@0.104", "reset", "after restart: two"}));
}

TEST(NodeTest, SameSeedSameDigestAcrossCrashes) {
  auto scenario = []() -> Task<int> {
    Node server("echo", {"10.1.0.5"}, []() -> Task<void> {
      auto start = examples::echo_server("0.0.0.0", 7);
      auto srv = co_await std::move(start);
      co_await srv->serve_forever();
    });
    server.start();
    int ok = 0;
    for (int round = 0; round < 5; ++round) {
      co_await sleep(0.05);
      std::vector<std::string> lines = {"a", "b", "c"};
      try {
        auto client = examples::echo_client("10.1.0.5", 7, lines);
        auto echoed = co_await std::move(client);
        ok += static_cast<int>(echoed.size());
      } catch (const OSError&) {
      }
      if (round == 2) server.restart();
    }
    co_return ok;
  };
  for (uint64_t seed : {1u, 2u, 3u}) {
    SimConfig config{.seed = seed, .strategy = Strategy::kRandom};
    auto a = sim::run(scenario(), config);
    auto b = sim::run(scenario(), config);
    EXPECT_EQ(a.digest, b.digest) << "seed " << seed;
    EXPECT_EQ(a.value(), b.value()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft::sim
