// The world's I/O as loop observers see it (runtime/observer.h): connections opened, accepted
// and closed, the bytes each way, executor jobs, on both worlds from one source (the events come
// from the layer both worlds share); and, in the simulated world, every kind of injected fault.
#include <errno.h>

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/io/executor.h"
#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/observer.h"
#include "runtime/weft.h"
#include "sim/node.h"
#include "sim/run.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

// Every I/O event, in order, as one line each; bytes are kept per (connection, direction).
struct IoRecorder : LoopObserver {
  struct Event {
    std::string kind;
    uint64_t id = 0;
    uint64_t other = 0;
    int code = 0;
    std::string text;
  };
  void on_connection_opened(uint64_t c, std::string_view local, std::string_view peer) override {
    events.push_back({"opened", c, 0, 0, std::string(local) + " " + std::string(peer)});
  }
  void on_connection_accepted(uint64_t l, uint64_t c, std::string_view peer) override {
    events.push_back({"accepted", c, l, 0, std::string(peer)});
  }
  void on_connection_closed(uint64_t c, int error) override {
    events.push_back({"closed", c, 0, error, ""});
  }
  void on_bytes(uint64_t c, IoDirection d, std::string_view data) override {
    events.push_back({d == IoDirection::kIn ? "in" : "out", c, 0, 0, std::string(data)});
  }
  void on_executor_submitted(uint64_t job) override { events.push_back({"submitted", job, 0, 0, ""}); }
  void on_executor_completed(uint64_t job) override { events.push_back({"completed", job, 0, 0, ""}); }
  void on_fault(FaultKind kind, uint64_t subject, std::string_view detail) override {
    events.push_back({"fault", subject, 0, static_cast<int>(kind), std::string(detail)});
  }
  // The concatenation of every bytes event of `kind` ("in" / "out").
  std::string all(const std::string& kind) const {
    std::string out;
    for (const auto& e : events) {
      if (e.kind == kind) out += e.text;
    }
    return out;
  }
  std::vector<Event> events;
};

// Adds `rec` to the running loop for the whole of `body`.
template <class T>
Task<T> observed(IoRecorder& rec, Task<T> body) {
  get_running_loop().add_observer(&rec);
  T value = co_await std::move(body);
  get_running_loop().remove_observer(&rec);
  co_return value;
}

// An echo server and one client that sends "hello", reads it back and closes.
Task<std::string> echo_once() {
  auto handler = [](std::shared_ptr<StreamReader> r,
                    std::shared_ptr<StreamWriter> w) -> Task<void> {
    std::string data = co_await r->read(100);
    while (!data.empty()) {
      w->write(data);
      co_await w->drain();
      data = co_await r->read(100);
    }
    w->close();
    co_await w->wait_closed();
  };
  Task<std::shared_ptr<Server>> starting = start_server(handler, "127.0.0.1", 0);
  auto server = co_await std::move(starting);
  const int port = server->sockets()[0].port;
  Task<std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>> opening =
      open_connection("127.0.0.1", port);
  auto [reader, writer] = co_await std::move(opening);
  writer->write("hello");
  co_await writer->drain();
  std::string got = co_await reader->readexactly(5);
  writer->close();
  co_await writer->wait_closed();
  // The server side sees EOF, closes, and the server's close waits for it.
  server->close();
  co_await server->wait_closed();
  co_return got;
}

template <class W>
class IoEventsTest : public ::testing::Test {};
TYPED_TEST_SUITE(IoEventsTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(IoEventsTest, AConnectionIsOpenedAcceptedCarriesBytesAndClosesInThatOrder) {
  for (uint64_t seed : {0, 1, 2, 3}) {
    IoRecorder rec;
    std::string got;
    if constexpr (TypeParam::kSimulated) {
      got = TypeParam::run(observed(rec, echo_once()),
                           sim::SimConfig{.seed = seed, .strategy = seed == 0
                                                                        ? sim::Strategy::kFifo
                                                                        : sim::Strategy::kRandom});
    } else {
      if (seed > 0) break;
      got = TypeParam::run(observed(rec, echo_once()));
    }
    EXPECT_EQ(got, "hello");
    // Each direction carried "hello" twice: the client's request and the server's echo.
    EXPECT_EQ(rec.all("out"), "hellohello") << "seed " << seed;
    EXPECT_EQ(rec.all("in"), "hellohello") << "seed " << seed;

    uint64_t client = 0, accepted = 0;
    int closed = 0;
    std::set<uint64_t> seen_closed;
    for (size_t i = 0; i < rec.events.size(); ++i) {
      const auto& e = rec.events[i];
      if (e.kind == "opened") {
        EXPECT_EQ(client, 0u);
        client = e.id;
        EXPECT_NE(e.text.find(" 127.0.0.1:"), std::string::npos) << e.text;
      } else if (e.kind == "accepted") {
        EXPECT_EQ(accepted, 0u);
        accepted = e.id;
        EXPECT_NE(e.other, 0u);  // the listener's id
        EXPECT_EQ(e.text.rfind("127.0.0.1:", 0), 0u) << e.text;
      } else if (e.kind == "closed") {
        ++closed;
        EXPECT_EQ(e.code, 0) << "a clean close, seed " << seed;
        seen_closed.insert(e.id);
      } else if (e.kind == "in" || e.kind == "out") {
        // Bytes only on a connection already reported, never after both ends closed.
        EXPECT_TRUE(e.id == client || e.id == accepted) << "seed " << seed << " event " << i;
        EXPECT_LT(closed, 2) << "seed " << seed << " event " << i;
      }
    }
    EXPECT_NE(client, 0u);
    EXPECT_NE(accepted, 0u);
    EXPECT_EQ(closed, 2) << "seed " << seed;
    EXPECT_EQ(seen_closed, (std::set<uint64_t>{client, accepted})) << "seed " << seed;
    // The first event names the client's connection (connect completes before the server
    // accepts it, or the accept came first: either way both precede every byte).
    ASSERT_FALSE(rec.events.empty());
    EXPECT_TRUE(rec.events[0].kind == "opened" || rec.events[0].kind == "accepted");
  }
}

// abort() reports ECONNABORTED on the aborting side.
TYPED_TEST(IoEventsTest, AnAbortedConnectionClosesWithEconnaborted) {
  auto body = []() -> Task<int> {
    auto handler = [](std::shared_ptr<StreamReader> r,
                      std::shared_ptr<StreamWriter> w) -> Task<void> {
      std::string data = co_await r->read(100);
      (void)data;
      w->close();
    };
    Task<std::shared_ptr<Server>> starting = start_server(handler, "127.0.0.1", 0);
    auto server = co_await std::move(starting);
    const int port = server->sockets()[0].port;
    Task<std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>> opening =
        open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(opening);
    writer->transport()->abort();
    co_await sleep(0.05);
    server->close();
    co_await server->wait_closed();
    co_return 0;
  };
  IoRecorder rec;
  TypeParam::run(observed(rec, body()));
  uint64_t client = 0;
  int client_code = -1;
  for (const auto& e : rec.events) {
    if (e.kind == "opened") client = e.id;
  }
  for (const auto& e : rec.events) {
    if (e.kind == "closed" && e.id == client && client_code == -1) client_code = e.code;
  }
  EXPECT_NE(client, 0u);
  EXPECT_EQ(client_code, ECONNABORTED);
}

TYPED_TEST(IoEventsTest, AnExecutorJobIsSubmittedThenCompleted) {
  auto body = []() -> Task<int> {
    Future<int> f = run_in_executor([] { return 41; });
    const uint64_t job = f.resource_id();
    int v = co_await f;
    co_return v + static_cast<int>(job > 0);
  };
  IoRecorder rec;
  EXPECT_EQ(TypeParam::run(observed(rec, body())), 42);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].kind, "submitted");
  EXPECT_EQ(rec.events[1].kind, "completed");
  EXPECT_EQ(rec.events[0].id, rec.events[1].id);
  EXPECT_NE(rec.events[0].id, 0u);
}

// The simulated world reports each fault it injects, with what it hit.
TEST(SimFaultEventsTest, EveryInjectedFaultIsReported) {
  auto body = []() -> Task<int> {
    auto& loop = static_cast<sim::SimLoop&>(get_running_loop());
    sim::Network& net = loop.network();
    sim::Node a("alpha", {"10.0.1.1"});
    sim::Node b("beta", {"10.0.1.2"});
    net.partition({a.host()}, {b.host()});
    net.heal({a.host()}, {b.host()});
    net.clog(a.host(), 1000);
    net.heal_all();
    a.kill();         // node kill, then the host's crash
    net.restart_host(a.host());
    (void)buggify();  // buggify with activation and fire 1: fires
    co_return 0;
  };
  IoRecorder rec;
  sim::SimConfig config{.buggify = true, .buggify_activation = 1.0, .buggify_fire = 1.0};
  auto r = sim::run(observed(rec, body()), config);
  ASSERT_TRUE(r.ok()) << describe_exception(r.error());
  std::vector<std::string> got;
  for (const auto& e : rec.events) {
    if (e.kind == "fault") got.push_back(absl::StrCat(e.code, " ", e.text));
  }
  const auto k = [](FaultKind f) { return static_cast<int>(f); };
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[0], absl::StrCat(k(FaultKind::kPartition), " alpha <-> beta"));
  EXPECT_EQ(got[1], absl::StrCat(k(FaultKind::kHeal), " alpha <-> beta"));
  EXPECT_EQ(got[2], absl::StrCat(k(FaultKind::kClog), " alpha for 1000 ns"));
  EXPECT_EQ(got[3], absl::StrCat(k(FaultKind::kHeal), " all"));
  EXPECT_EQ(got[4], absl::StrCat(k(FaultKind::kNodeKill), " alpha"));
  EXPECT_EQ(got[5], absl::StrCat(k(FaultKind::kHostCrash), " alpha"));
  EXPECT_EQ(got[6], absl::StrCat(k(FaultKind::kHostRestart), " alpha"));
  EXPECT_EQ(got[7].rfind(absl::StrCat(k(FaultKind::kBuggify), " tests/io/io_events_test.cc:"), 0),
            0u)
      << got[7];
}

// A random reset of a connection names the connection it hit.
TEST(SimFaultEventsTest, ARandomResetNamesTheConnection) {
  int resets = 0;
  for (uint64_t seed = 0; seed < 20 && resets == 0; ++seed) {
    auto body = []() -> Task<int> {
      auto& loop = static_cast<sim::SimLoop&>(get_running_loop());
      loop.network().config().faults.tcp_reset_probability = 1.0;
      sim::Node a("alpha", {"10.0.1.1"});
      sim::Node b("beta", {"10.0.1.2"});
      auto handler = [](std::shared_ptr<StreamReader> r,
                        std::shared_ptr<StreamWriter> w) -> Task<void> {
        try {
          std::string d = co_await r->read(10);
          (void)d;
        } catch (const ConnectionResetError&) {
        }
        w->close();
      };
      Task<std::shared_ptr<Server>> starting = start_server(handler, "10.0.1.1", 7000);
      auto server_task = a.spawn(std::move(starting));
      auto server = co_await server_task;
      auto client = [&]() -> Task<int> {
        Task<std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>> opening =
            open_connection("10.0.1.1", 7000);
        auto [reader, writer] = co_await std::move(opening);
        writer->write("x");
        try {
          co_await writer->drain();
          std::string d = co_await reader->read(10);
          (void)d;
        } catch (const ConnectionResetError&) {
        }
        writer->close();
        co_return 0;
      };
      auto c = b.spawn(client());
      co_await c;
      server->close();
      co_return 0;
    };
    IoRecorder rec;
    auto r = sim::run(observed(rec, body()), sim::SimConfig{.seed = seed});
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << describe_exception(r.error());
    uint64_t opened = 0;
    for (const auto& e : rec.events) {
      if (e.kind == "opened") opened = e.id;
      if (e.kind == "fault" && e.code == static_cast<int>(FaultKind::kReset)) {
        ++resets;
        EXPECT_EQ(e.id, opened) << "seed " << seed;
        EXPECT_EQ(e.text, "beta <-> alpha") << "seed " << seed;
      }
    }
  }
  EXPECT_GT(resets, 0);
}

}  // namespace
}  // namespace weft
