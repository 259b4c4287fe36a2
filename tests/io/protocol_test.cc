// Transports and protocols (create_connection / create_server) on both worlds, real loopback
// sockets and the simulated network under several seeds of both strategies: the order of
// protocol callbacks, half-close, flow control, abort, a failing protocol callback. Where the
// worlds differ (kernel buffers against the simulated window), the test says so.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/weft.h"
#include "sim/net/network.h"
#include "sim/run.h"
#include "tests/io/fd_check.h"
#include "tests/io/world_runs.h"
#include "tests/sim/net/net_testing.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class ProtocolTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(ProtocolTest, testing::Worlds, testing::WorldNames);

using testing::check_runs;
using testing::expect_runs;
using Log = std::vector<std::string>;

// Records every callback; `reply` is written (then the transport closed) on EOF.
class Recorder : public Protocol {
 public:
  explicit Recorder(std::string reply = {}, bool keep_open = false)
      : reply_(std::move(reply)), keep_open_(keep_open) {}
  void connection_made(std::shared_ptr<Transport> t) override {
    transport = t;
    events.push_back("made");
  }
  void data_received(std::string data) override {
    received += data;
    if (record_data) events.push_back("data:" + data);
  }
  bool eof_received() override {
    events.push_back("eof");
    if (!reply_.empty()) {
      transport->write(reply_);
      transport->close();
    }
    return keep_open_;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back(exc ? "lost:" + describe_exception(exc) : "lost:ok");
    transport = nullptr;
    if (!lost.done()) lost.set_result();
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override {
    events.push_back("resume_writing");
    if (!resumed.done()) resumed.set_result();
  }

  std::shared_ptr<Transport> transport;
  std::vector<std::string> events;
  std::string received;
  bool record_data = true;
  Future<void> lost;
  Future<void> resumed;

 private:
  std::string reply_;
  bool keep_open_;
};

TYPED_TEST(ProtocolTest, CallbacksArriveInOrderAndEofCanKeepTheConnectionHalfOpen) {
  auto main = []() -> Task<Log> {
    // "data:bye" in one piece: the simulated network without partial reads, as on loopback.
    if constexpr (TypeParam::kSimulated) {
      sim::testing::net().config() = sim::testing::exact_network();
    }
    auto server_side = std::make_shared<std::shared_ptr<Recorder>>();
    ProtocolFactory factory = [server_side] {
      *server_side = std::make_shared<Recorder>("bye", /*keep_open=*/true);
      return std::shared_ptr<Protocol>(*server_side);
    };
    auto create = create_server(factory, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    transport->write("hi");
    transport->write_eof();
    co_await client->lost;
    co_await (*server_side)->lost;
    server->close();
    co_await server->wait_closed();
    Log all = client->events;
    all.push_back("|");
    for (auto& e : (*server_side)->events) all.push_back(e);
    all.push_back(transport->is_closing() ? "closing" : "open");
    co_return all;
  };
  expect_runs<TypeParam>(main, Log{"made", "data:bye", "eof", "lost:ok", "|", "made", "data:hi",
                                   "eof", "lost:ok", "closing"});
}

// The real loop writes more than its kernel buffers hold (a few MB); the simulated network has
// one window (256 KiB) in flight, so less makes the point there, and its exact buffer size and
// "nothing moves while the peer is paused" (ten virtual seconds) are checked there only.
TYPED_TEST(ProtocolTest, WriteBufferAboveHighWaterPausesTheProtocolUntilItDrains) {
  constexpr bool kSimulated = TypeParam::kSimulated;
  constexpr size_t kTotal = kSimulated ? 4 << 20 : 16 << 20;
  auto main = []() -> Task<Log> {
    auto server_side = std::make_shared<std::shared_ptr<Recorder>>();
    ProtocolFactory factory = [server_side] {
      *server_side = std::make_shared<Recorder>();
      (*server_side)->record_data = false;
      return std::shared_ptr<Protocol>(*server_side);
    };
    auto create = create_server(factory, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    while (!*server_side || (*server_side)->events.empty()) co_await sleep(0);
    (*server_side)->transport->pause_reading();
    Log got;
    got.push_back(transport->get_write_buffer_limits() ==
                          std::make_pair(kDefaultLowWater, kDefaultHighWater)
                      ? "default limits"
                      : "other limits");
    transport->write(std::string(kTotal, 'q'));
    got.push_back(client->events.back());  // pause_writing, from inside write()
    got.push_back(transport->get_write_buffer_size() > kDefaultHighWater ? "above high" : "low");
    if constexpr (kSimulated) {
      got.push_back(transport->get_write_buffer_size() ==
                            kTotal - sim::testing::net().config().window
                        ? "window in flight, the rest buffered"
                        : std::to_string(transport->get_write_buffer_size()));
      co_await sleep(10.0);
      got.push_back(client->resumed.done() ? "resumed while paused" : "still paused");
    }
    (*server_side)->transport->resume_reading();
    co_await client->resumed;
    got.push_back(transport->get_write_buffer_size() <= kDefaultLowWater ? "at most low" : "high");
    transport->close();
    co_await client->lost;
    co_await (*server_side)->lost;
    got.push_back(std::to_string((*server_side)->received.size()));
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  Log expected{"default limits", "pause_writing", "above high"};
  if (kSimulated) {
    expected.push_back("window in flight, the rest buffered");
    expected.push_back("still paused");
  }
  expected.push_back("at most low");
  expected.push_back(std::to_string(kTotal));
  expect_runs<TypeParam>(main, expected);
}

TYPED_TEST(ProtocolTest, BadWriteBufferLimitsRaiseValueError) {
  auto main = []() -> Task<Log> {
    auto create = create_server([] { return std::make_shared<Recorder>(); }, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    Log got;
    try {
      transport->set_write_buffer_limits(10, 20);
    } catch (const ValueError&) {
      got.push_back("ValueError");
    }
    transport->set_write_buffer_limits(std::nullopt, 100);
    auto [low, high] = transport->get_write_buffer_limits();
    got.push_back(std::to_string(low) + "/" + std::to_string(high));
    transport->close();
    co_await client->lost;
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_runs<TypeParam>(main, Log{"ValueError", "100/400"});
}

// On both worlds the peer then sees what was already sent and a plain EOF (abort() is not a
// reset). How much was sent is exact only in the simulated world: one window.
TYPED_TEST(ProtocolTest, AbortDropsBufferedDataAndReportsAPlainLoss) {
  constexpr bool kSimulated = TypeParam::kSimulated;
  auto main = []() -> Task<Log> {
    auto server_side = std::make_shared<std::shared_ptr<Recorder>>();
    ProtocolFactory factory = [server_side] {
      *server_side = std::make_shared<Recorder>();
      (*server_side)->record_data = false;
      return std::shared_ptr<Protocol>(*server_side);
    };
    auto create = create_server(factory, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    while (!*server_side || (*server_side)->events.empty()) co_await sleep(0);
    (*server_side)->transport->pause_reading();
    transport->write(std::string(kSimulated ? 4 << 20 : 16 << 20, 'a'));
    transport->abort();
    Log got;
    got.push_back(std::to_string(transport->get_write_buffer_size()));
    got.push_back(transport->is_closing() ? "closing" : "open");
    co_await client->lost;
    got.push_back(client->events.back());
    (*server_side)->transport->resume_reading();
    co_await (*server_side)->lost;
    if constexpr (kSimulated) {
      // What was in flight (one window) still arrives, then the EOF.
      got.push_back(std::to_string((*server_side)->received.size()));
    }
    got.push_back((*server_side)->events.back());
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  Log expected{"0", "closing", "lost:ok"};
  if (kSimulated) expected.push_back(std::to_string(256 * 1024));
  expected.push_back("lost:ok");
  expect_runs<TypeParam>(main, expected);
}

// The simulated "localhost" is both families on one port; the real one is what the machine's
// resolver says (often 127.0.0.1 only), so there every socket is a loopback address.
TYPED_TEST(ProtocolTest, ServerOverBothFamiliesOfLocalhost) {
  auto main = []() -> Task<Log> {
    auto create = create_server([] { return std::make_shared<Recorder>(); }, "localhost", 0);
    auto server = co_await std::move(create);
    Log got;
    for (const auto& s : server->sockets()) got.push_back(s.host);
    const bool same_port = server->sockets().at(0).port == server->sockets().back().port;
    got.push_back(same_port ? "one port" : "two ports");
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  if constexpr (TypeParam::kSimulated) {
    expect_runs<TypeParam>(main, Log{"127.0.0.1", "::1", "one port"});
  } else {
    check_runs<TypeParam>(main, [](const Log& got, const std::string&) {
      ASSERT_GE(got.size(), 2u);  // at least one socket, then the port line
      for (size_t i = 0; i + 1 < got.size(); ++i) {
        EXPECT_TRUE(got[i] == "127.0.0.1" || got[i] == "::1") << got[i];
      }
    });
  }
}

TYPED_TEST(ProtocolTest, ExceptionInDataReceivedIsReportedAndClosesWithIt) {
  class Throwing : public Recorder {
   public:
    void data_received(std::string) override { throw std::logic_error("bad frame"); }
  };
  auto main = []() -> Task<Log> {
    auto reported = std::make_shared<Log>();
    get_running_loop().set_exception_handler(
        [reported](EventLoop&, const ExceptionContext& c) { reported->push_back(c.message); });
    auto server_side = std::make_shared<std::shared_ptr<Recorder>>();
    ProtocolFactory factory = [server_side] {
      *server_side = std::make_shared<Throwing>();
      return std::shared_ptr<Protocol>(*server_side);
    };
    auto create = create_server(factory, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    transport->write("x");
    co_await (*server_side)->lost;
    co_await client->lost;
    Log got = *reported;
    got.push_back((*server_side)->events.back());
    got.push_back(client->events.back());
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_runs<TypeParam>(main, Log{"Fatal error: protocol.data_received() call failed.",
                                   "lost:std::logic_error: bad frame", "lost:ok"});
}

}  // namespace
}  // namespace weft
