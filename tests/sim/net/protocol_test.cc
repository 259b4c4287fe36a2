// The transport/protocol scenarios of tests/io/protocol_test.cc on the simulated network: the
// order of protocol callbacks, half-close, flow control, abort.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/weft.h"
#include "sim/run.h"
#include "tests/sim/net/net_testing.h"
#include "tests/sim/net/sweep.h"

namespace weft::sim {
namespace {

using testing::expect_everywhere;
using testing::sweep;

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

TEST(SimProtocolTest, CallbacksArriveInOrderAndEofCanKeepTheConnectionHalfOpen) {
  auto main = []() -> Task<std::vector<std::string>> {
    testing::net().config() = testing::exact_network();  // "data:bye" in one piece
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
    std::vector<std::string> all = client->events;
    all.push_back("|");
    for (auto& e : (*server_side)->events) all.push_back(e);
    all.push_back(transport->is_closing() ? "closing" : "open");
    co_return all;
  };
  expect_everywhere(main, std::vector<std::string>{"made", "data:bye", "eof", "lost:ok", "|",
                                                   "made", "data:hi", "eof", "lost:ok",
                                                   "closing"});
}

TEST(SimProtocolTest, WriteBufferAboveHighWaterPausesTheProtocolUntilItDrains) {
  constexpr size_t kTotal = 4 << 20;
  auto main = []() -> Task<std::vector<std::string>> {
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
    std::vector<std::string> got;
    got.push_back(transport->get_write_buffer_limits() ==
                          std::make_pair(kDefaultLowWater, kDefaultHighWater)
                      ? "default limits"
                      : "other limits");
    transport->write(std::string(kTotal, 'q'));
    got.push_back(client->events.back());  // pause_writing, from inside write()
    got.push_back(transport->get_write_buffer_size() ==
                          kTotal - testing::net().config().window
                      ? "window in flight, the rest buffered"
                      : std::to_string(transport->get_write_buffer_size()));
    co_await sleep(10.0);
    got.push_back(client->resumed.done() ? "resumed while paused" : "still paused");
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
  expect_everywhere(main,
                    std::vector<std::string>{"default limits", "pause_writing",
                                             "window in flight, the rest buffered", "still paused",
                                             "at most low", std::to_string(kTotal)},
                    sweep(2, 2));
}

TEST(SimProtocolTest, BadWriteBufferLimitsRaiseValueError) {
  auto main = []() -> Task<std::vector<std::string>> {
    auto create = create_server([] { return std::make_shared<Recorder>(); }, "127.0.0.1", 0);
    auto server = co_await std::move(create);
    auto connect = create_connection([] { return std::make_shared<Recorder>(); }, "127.0.0.1",
                                     server->sockets().at(0).port);
    auto [transport, client] = co_await std::move(connect);
    std::vector<std::string> got;
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
  expect_everywhere(main, std::vector<std::string>{"ValueError", "100/400"});
}

TEST(SimProtocolTest, AbortDropsBufferedDataAndReportsAPlainLoss) {
  auto main = []() -> Task<std::vector<std::string>> {
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
    transport->write(std::string(4 << 20, 'a'));
    transport->abort();
    std::vector<std::string> got;
    got.push_back(std::to_string(transport->get_write_buffer_size()));
    got.push_back(transport->is_closing() ? "closing" : "open");
    co_await client->lost;
    got.push_back(client->events.back());
    (*server_side)->transport->resume_reading();
    co_await (*server_side)->lost;
    // What was in flight (one window) still arrives, then the EOF.
    got.push_back(std::to_string((*server_side)->received.size()));
    got.push_back((*server_side)->events.back());
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"0", "closing", "lost:ok",
                                                   std::to_string(256 * 1024), "lost:ok"});
}

TEST(SimProtocolTest, ServerOverBothFamiliesOfLocalhost) {
  auto main = []() -> Task<std::vector<std::string>> {
    auto create = create_server([] { return std::make_shared<Recorder>(); }, "localhost", 0);
    auto server = co_await std::move(create);
    std::vector<std::string> got;
    for (const auto& s : server->sockets()) got.push_back(s.host);
    const bool same_port = server->sockets().at(0).port == server->sockets().at(1).port;
    got.push_back(same_port ? "one port" : "two ports");
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"127.0.0.1", "::1", "one port"});
}

TEST(SimProtocolTest, ExceptionInDataReceivedIsReportedAndClosesWithIt) {
  class Throwing : public Recorder {
   public:
    void data_received(std::string) override { throw std::logic_error("bad frame"); }
  };
  auto main = []() -> Task<std::vector<std::string>> {
    auto reported = std::make_shared<std::vector<std::string>>();
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
    std::vector<std::string> got = *reported;
    got.push_back((*server_side)->events.back());
    got.push_back(client->events.back());
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{
                              "Fatal error: protocol.data_received() call failed.",
                              "lost:std::logic_error: bad frame", "lost:ok"});
}

}  // namespace
}  // namespace weft::sim
