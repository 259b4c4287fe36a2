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
#include "runtime/sync/event.h"
#include "runtime/sync/lock.h"
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

// Records its destruction in a log that outlives the run.
struct Sentinel {
  std::shared_ptr<Log> log;
  std::string name;
  ~Sentinel() { log->push_back("~" + name); }
};

// A node whose start-up task owns a Lock and an Event that the workers it creates hold and wait
// on: a crash destroys the workers first, then the start-up frame whose locals they refer to
// (the holder's guard releases a lock that still exists; run under ASan).
Task<void> worker(std::shared_ptr<Log> log, std::string name, Lock& lock, Event& never) {
  Sentinel sentinel{log, name};
  auto guard = co_await lock.scoped();
  co_await never.wait();
}

Task<void> node_startup(std::shared_ptr<Log> log) {
  Sentinel sentinel{log, "startup"};
  Lock lock("node-lock");
  Event never("never");
  auto w1 = create_task(worker(log, "worker1", lock, never));
  auto w2 = create_task(worker(log, "worker2", lock, never));
  co_await never.wait();
}

TEST(NodeTest, KillDestroysTheNodesTasksNewestFirst) {
  auto body = []() -> Task<Log> {
    auto log = std::make_shared<Log>();
    Node node("locks", {"10.1.0.6"}, [log] { return node_startup(log); });
    node.start();
    co_await sleep(1);
    node.kill();
    co_await sleep(1);
    co_return *log;
  };
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto result = sim::run(body(), {.seed = seed, .strategy = Strategy::kRandom});
    ASSERT_EQ(result.value(), (Log{"~worker2", "~worker1", "~startup"})) << "seed " << seed;
  }
}

// Main fails while nodes are up, their tasks holding connections and waiting: sim::run returns
// main's exception, destroys every task unrun (workers before the start-up that owns their
// lock), and releases every connection (the transports are gone once it returns).
Task<void> fail_with_nodes_up(std::shared_ptr<Log> log,
                              std::shared_ptr<std::vector<std::weak_ptr<WriteTransport>>> seen) {
  Node server("echo", {"10.1.0.7"}, []() -> Task<void> {
    auto start = examples::echo_server("0.0.0.0", 7);
    auto srv = co_await std::move(start);
    co_await srv->serve_forever();
  });
  server.start();
  Node locks("locks", {"10.1.0.8"}, [log] { return node_startup(log); });
  locks.start();
  Node client("client", {"10.1.0.9"});
  co_await sleep(0.1);
  for (int i = 0; i < 3; ++i) {
    client.spawn([](auto seen) -> Task<void> {
      auto connect = open_connection("echo", 7);
      auto [reader, writer] = co_await std::move(connect);
      seen->push_back(writer->transport());
      std::string line = co_await reader->readline();  // never sent: waits
    }(seen));
  }
  co_await sleep(1);
  throw ValueError("main failed");
}

TEST(NodeTest, MainFailingWhileNodesAreUpTearsDownWithoutTouchingFreedFrames) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    auto log = std::make_shared<Log>();
    auto seen = std::make_shared<std::vector<std::weak_ptr<WriteTransport>>>();
    auto result = sim::run(fail_with_nodes_up(log, seen),
                           {.seed = seed, .strategy = Strategy::kRandom});
    EXPECT_THROW(result.value(), ValueError) << "seed " << seed;
    ASSERT_EQ(*log, (Log{"~worker2", "~worker1", "~startup"})) << "seed " << seed;
    ASSERT_EQ(seen->size(), 3u) << "seed " << seed;
    for (auto& t : *seen) EXPECT_TRUE(t.expired()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft::sim
