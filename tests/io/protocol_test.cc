// Transports and protocols (create_connection / create_server) over real loopback sockets:
// the order of protocol callbacks, half-close, flow control, abort.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft {
namespace {

using ProtocolTest = testing::FdCheckedTest;

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

TEST_F(ProtocolTest, CallbacksArriveInOrderAndEofCanKeepTheConnectionHalfOpen) {
  auto main = []() -> Task<std::vector<std::string>> {
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
  EXPECT_EQ(weft::run(main()),
            (std::vector<std::string>{"made", "data:bye", "eof", "lost:ok", "|", "made", "data:hi",
                                      "eof", "lost:ok", "closing"}));
}

TEST_F(ProtocolTest, WriteBufferAboveHighWaterPausesTheProtocolUntilItDrains) {
  constexpr size_t kTotal = 16 << 20;
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
    got.push_back(transport->get_write_buffer_size() > kDefaultHighWater ? "above high" : "low");
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
  EXPECT_EQ(weft::run(main()),
            (std::vector<std::string>{"default limits", "pause_writing", "above high",
                                      "at most low", std::to_string(kTotal)}));
}

TEST_F(ProtocolTest, BadWriteBufferLimitsRaiseValueError) {
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
  EXPECT_EQ(weft::run(main()), (std::vector<std::string>{"ValueError", "100/400"}));
}

TEST_F(ProtocolTest, AbortDropsBufferedDataAndReportsAPlainLoss) {
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
    transport->write(std::string(16 << 20, 'a'));
    transport->abort();
    std::vector<std::string> got;
    got.push_back(std::to_string(transport->get_write_buffer_size()));
    got.push_back(transport->is_closing() ? "closing" : "open");
    co_await client->lost;
    got.push_back(client->events.back());
    (*server_side)->transport->resume_reading();
    co_await (*server_side)->lost;
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  EXPECT_EQ(weft::run(main()), (std::vector<std::string>{"0", "closing", "lost:ok"}));
}

TEST_F(ProtocolTest, ServerOverBothFamiliesOfLocalhost) {
  auto main = []() -> Task<size_t> {
    auto create = create_server([] { return std::make_shared<Recorder>(); }, "localhost", 0);
    auto server = co_await std::move(create);
    size_t n = server->sockets().size();
    server->close();
    co_await server->wait_closed();
    co_return n;
  };
  EXPECT_GE(weft::run(main()), 1u);
}

}  // namespace
}  // namespace weft
