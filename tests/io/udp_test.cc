// Datagram endpoints (create_datagram_endpoint) over real loopback UDP sockets.
#include <errno.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft {
namespace {

using UdpTest = testing::FdCheckedTest;

class Endpoint : public DatagramProtocol {
 public:
  explicit Endpoint(bool echo = false) : echo_(echo) {}
  void connection_made(std::shared_ptr<DatagramTransport> t) override { transport = t; }
  void datagram_received(std::string data, SocketAddress from) override {
    if (echo_) transport->sendto(data, from);
    got.emplace_back(std::move(data), from);
    if (!received.done()) received.set_result();
  }
  void error_received(std::exception_ptr exc) override {
    errors.push_back(exc);
    if (!errored.done()) errored.set_result();
  }
  void connection_lost(std::exception_ptr) override {
    transport = nullptr;
    if (!lost.done()) lost.set_result();
  }

  std::shared_ptr<DatagramTransport> transport;
  std::vector<std::pair<std::string, SocketAddress>> got;
  std::vector<std::exception_ptr> errors;
  Future<void> received;
  Future<void> errored;
  Future<void> lost;

 private:
  bool echo_;
};

Task<std::vector<std::string>> round_trip(std::string host) {
  DatagramOptions server_opts;
  server_opts.local_addr = std::make_pair(host, 0);
  auto open_server = create_datagram_endpoint([] { return std::make_shared<Endpoint>(true); },
                                              server_opts);
  auto [server_t, server] = co_await std::move(open_server);
  const auto server_addr = std::get<SocketAddress>(server_t->get_extra_info("sockname"));
  DatagramOptions client_opts;
  client_opts.remote_addr = std::make_pair(host, server_addr.port);
  auto open_client = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); },
                                              client_opts);
  auto [client_t, client] = co_await std::move(open_client);
  client_t->sendto("ping");
  co_await client->received;
  const auto client_addr = std::get<SocketAddress>(client_t->get_extra_info("sockname"));
  std::vector<std::string> out;
  out.push_back(client->got.at(0).first);
  out.push_back(client->got.at(0).second == server_addr ? "from server" : "from elsewhere");
  out.push_back(server->got.at(0).second == client_addr ? "server saw client" : "server confused");
  client_t->close();
  server_t->close();
  co_await client->lost;
  co_await server->lost;
  co_return out;
}

TEST_F(UdpTest, RoundTripOverIPv4) {
  EXPECT_EQ(weft::run(round_trip("127.0.0.1")),
            (std::vector<std::string>{"ping", "from server", "server saw client"}));
}

TEST_F(UdpTest, RoundTripOverIPv6) {
  EXPECT_EQ(weft::run(round_trip("::1")),
            (std::vector<std::string>{"ping", "from server", "server saw client"}));
}

TEST_F(UdpTest, UnconnectedEndpointSendsToExplicitAddresses) {
  auto main = []() -> Task<std::vector<std::string>> {
    DatagramOptions a_opts, b_opts;
    a_opts.local_addr = std::make_pair(std::string("127.0.0.1"), 0);
    b_opts.local_addr = a_opts.local_addr;
    auto open_a = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, a_opts);
    auto [a_t, a] = co_await std::move(open_a);
    auto open_b = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, b_opts);
    auto [b_t, b] = co_await std::move(open_b);
    const auto b_addr = std::get<SocketAddress>(b_t->get_extra_info("sockname"));
    a_t->sendto("one", b_addr);
    a_t->sendto("two", b_addr);
    co_await b->received;
    while (b->got.size() < 2) co_await sleep(0);
    std::vector<std::string> out = {b->got[0].first, b->got[1].first};
    try {
      a_t->sendto("nowhere");
    } catch (const ValueError&) {
      out.push_back("ValueError without address");
    }
    a_t->close();
    b_t->close();
    co_await a->lost;
    co_await b->lost;
    co_return out;
  };
  EXPECT_EQ(weft::run(main()),
            (std::vector<std::string>{"one", "two", "ValueError without address"}));
}

TEST_F(UdpTest, ConnectedEndpointRejectsOtherAddresses) {
  auto main = []() -> Task<bool> {
    DatagramOptions opts;
    opts.remote_addr = std::make_pair(std::string("127.0.0.1"), 9);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    bool raised = false;
    try {
      t->sendto("x", SocketAddress{AF_INET, "127.0.0.1", 10});
    } catch (const ValueError&) {
      raised = true;
    }
    t->close();
    co_await p->lost;
    co_return raised;
  };
  EXPECT_TRUE(weft::run(main()));
}

TEST_F(UdpTest, IcmpPortUnreachableArrivesAsConnectionRefusedError) {
  auto main = []() -> Task<int> {
    // A port with no listener: bind an endpoint, note its port, close it.
    DatagramOptions probe;
    probe.local_addr = std::make_pair(std::string("127.0.0.1"), 0);
    auto open_probe = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, probe);
    auto [probe_t, probe_p] = co_await std::move(open_probe);
    const int port = std::get<SocketAddress>(probe_t->get_extra_info("sockname")).port;
    probe_t->close();
    co_await probe_p->lost;

    DatagramOptions opts;
    opts.remote_addr = std::make_pair(std::string("127.0.0.1"), port);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    t->sendto("anyone?");
    co_await p->errored;
    int err = 0;
    try {
      std::rethrow_exception(p->errors.at(0));
    } catch (const ConnectionRefusedError& e) {
      err = e.err();
    }
    const bool still_open = !t->is_closing();
    t->close();
    co_await p->lost;
    co_return still_open ? err : -1;
  };
  EXPECT_EQ(weft::run(main()), ECONNREFUSED);
}

}  // namespace
}  // namespace weft
