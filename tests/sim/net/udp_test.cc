// The datagram scenarios of tests/io/udp_test.cc on the simulated network, then the UDP model:
// loss, duplication, reordering and latency drawn per link, exact under a fixed configuration.
#include <errno.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/observer.h"
#include "runtime/weft.h"
#include "sim/run.h"
#include "tests/sim/net/net_testing.h"
#include "tests/sim/net/sweep.h"

namespace weft::sim {
namespace {

using testing::expect_everywhere;
using testing::net;
using testing::spawn_on;
using testing::sweep;

class Endpoint : public DatagramProtocol {
 public:
  explicit Endpoint(bool echo = false) : echo_(echo) {}
  void connection_made(std::shared_ptr<DatagramTransport> t) override { transport = t; }
  void datagram_received(std::string data, SocketAddress from) override {
    if (echo_) transport->sendto(data, from);
    got.emplace_back(std::move(data), from);
    times.push_back(get_running_loop().time_ns());
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
  std::vector<int64_t> times;
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

TEST(SimUdpTest, RoundTripOverIPv4) {
  expect_everywhere([] { return round_trip("127.0.0.1"); },
                    std::vector<std::string>{"ping", "from server", "server saw client"});
}

TEST(SimUdpTest, RoundTripOverIPv6) {
  expect_everywhere([] { return round_trip("::1"); },
                    std::vector<std::string>{"ping", "from server", "server saw client"});
}

TEST(SimUdpTest, UnconnectedEndpointSendsToExplicitAddresses) {
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
    while (b->got.size() < 2) co_await sleep(0.001);
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
  expect_everywhere(main, std::vector<std::string>{"one", "two", "ValueError without address"});
}

TEST(SimUdpTest, ConnectedEndpointRejectsOtherAddresses) {
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
  expect_everywhere(main, true);
}

TEST(SimUdpTest, PortUnreachableArrivesAsConnectionRefusedErrorAfterARoundTrip) {
  auto main = []() -> Task<std::pair<int, int64_t>> {
    net().config() = testing::exact_network();
    DatagramOptions opts;
    opts.remote_addr = std::make_pair(std::string("127.0.0.1"), 4000);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    const int64_t sent = get_running_loop().time_ns();
    t->sendto("anyone?");
    co_await p->errored;
    const int64_t took = get_running_loop().time_ns() - sent;
    int err = 0;
    try {
      std::rethrow_exception(p->errors.at(0));
    } catch (const ConnectionRefusedError& e) {
      err = e.err();
    }
    const bool still_open = !t->is_closing();
    t->close();
    co_await p->lost;
    co_return std::make_pair(still_open ? err : -1, took);
  };
  expect_everywhere(main, std::pair<int, int64_t>{ECONNREFUSED, 20 * kMicrosecond});
}

// Host "a" sends `n` numbered datagrams to host "b" under `link`; returns what b received, in
// order, and when.
struct Delivery {
  std::vector<std::string> data;
  std::vector<int64_t> times;
};

Task<Delivery> send_numbered(LinkConfig link, int n) {
  Network& nw = net();
  nw.config() = testing::exact_network();
  const HostId a = nw.add_host("a", {"10.1.0.1"});
  const HostId b = nw.add_host("b", {"10.1.0.2"});
  nw.set_link(a, b, link);
  auto receiver = std::make_shared<std::shared_ptr<Endpoint>>();
  auto open_b = [receiver]() -> Task<void> {
    DatagramOptions opts;
    opts.local_addr = std::make_pair(std::string("10.1.0.2"), 5000);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    *receiver = p;
  };
  auto b_ready = spawn_on(b, open_b());
  co_await b_ready;
  auto send_all = [n]() -> Task<void> {
    DatagramOptions opts;
    opts.remote_addr = std::make_pair(std::string("10.1.0.2"), 5000);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    for (int i = 0; i < n; ++i) t->sendto(std::to_string(i));
    co_await sleep(1.0);
    t->close();
  };
  auto sender = spawn_on(a, send_all());
  co_await sender;
  Delivery d;
  for (auto& [data, from] : (*receiver)->got) d.data.push_back(data);
  d.times = (*receiver)->times;
  (*receiver)->transport->close();
  co_return d;
}

TEST(SimUdpTest, FixedLatencyDeliversInOrderAtTheExactTime) {
  LinkConfig link = link_with_latency(3 * kMillisecond, 3 * kMillisecond);
  auto result = sim::run(send_numbered(link, 3), SimConfig{.seed = 7});
  auto d = result.value();
  EXPECT_EQ(d.data, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(d.times, (std::vector<int64_t>{3 * kMillisecond, 3 * kMillisecond, 3 * kMillisecond}));
}

TEST(SimUdpTest, LossDropsAboutTheConfiguredShare) {
  LinkConfig link = link_with_latency(kMillisecond, kMillisecond);
  link.udp_loss = 0.3;
  auto result = sim::run(send_numbered(link, 1000), SimConfig{.seed = 1});
  auto d = result.value();
  EXPECT_GT(d.data.size(), 640u);
  EXPECT_LT(d.data.size(), 760u);
  // What arrives keeps its order and nothing arrives twice.
  EXPECT_TRUE(std::is_sorted(d.data.begin(), d.data.end(), [](auto& x, auto& y) {
    return std::stoi(x) < std::stoi(y);
  }));
  EXPECT_EQ(std::adjacent_find(d.data.begin(), d.data.end()), d.data.end());
}

TEST(SimUdpTest, DuplicationDeliversSomeDatagramsTwice) {
  LinkConfig link = link_with_latency(kMillisecond, kMillisecond);
  link.udp_duplicate = 0.2;
  auto result = sim::run(send_numbered(link, 1000), SimConfig{.seed = 2});
  auto d = result.value();
  EXPECT_GT(d.data.size(), 1140u);
  EXPECT_LT(d.data.size(), 1260u);
  std::vector<std::string> unique = d.data;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  EXPECT_EQ(unique.size(), 1000u);
}

TEST(SimUdpTest, ReorderingLetsLaterDatagramsOvertake) {
  LinkConfig link = link_with_latency(kMillisecond, kMillisecond);
  link.udp_reorder = 0.1;
  auto result = sim::run(send_numbered(link, 200), SimConfig{.seed = 3});
  auto d = result.value();
  ASSERT_EQ(d.data.size(), 200u);
  int inversions = 0;
  for (size_t i = 1; i < d.data.size(); ++i) {
    inversions += std::stoi(d.data[i - 1]) > std::stoi(d.data[i]);
  }
  EXPECT_GT(inversions, 5);
  EXPECT_TRUE(std::is_sorted(d.times.begin(), d.times.end()));
}

TEST(SimUdpTest, PartitionLosesDatagramsAndTheSameSeedGivesTheSameRun) {
  auto main = []() -> Task<size_t> {
    Network& nw = net();
    nw.config() = testing::exact_network();
    const HostId a = nw.add_host("a");
    const HostId b = nw.add_host("b");
    nw.partition({a}, {b});
    auto receiver = std::make_shared<std::shared_ptr<Endpoint>>();
    auto open_b = [receiver]() -> Task<void> {
      DatagramOptions opts;
      opts.local_addr = std::make_pair(std::string("b"), 5000);
      auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
      auto [t, p] = co_await std::move(open);
      *receiver = p;
    };
    auto ready = spawn_on(b, open_b());
    co_await ready;
    auto send = [&nw, a, b]() -> Task<void> {
      DatagramOptions opts;
      opts.remote_addr = std::make_pair(std::string("b"), 5000);
      auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
      auto [t, p] = co_await std::move(open);
      t->sendto("lost");
      co_await sleep(0.1);
      nw.heal({a}, {b});
      t->sendto("arrives");
      co_await sleep(0.1);
      t->close();
    };
    auto sender = spawn_on(a, send());
    co_await sender;
    const size_t n = (*receiver)->got.size();
    const bool right = n == 1 && (*receiver)->got[0].first == "arrives";
    (*receiver)->transport->close();
    co_return right ? n : 0;
  };
  expect_everywhere(main, size_t{1});
}

// Counts what the loop reports of datagrams: each endpoint's datagrams in and out, and the
// model's faults with their subjects.
struct UdpEvents final : LoopObserver {
  void on_datagram(uint64_t endpoint, IoDirection direction, std::string_view,
                   std::string_view) override {
    ++(direction == IoDirection::kIn ? in : out)[endpoint];
  }
  void on_fault(FaultKind kind, uint64_t subject, std::string_view detail) override {
    faults.push_back({kind, subject, std::string(detail)});
  }
  struct Fault {
    FaultKind kind;
    uint64_t subject;
    std::string detail;
  };
  std::map<uint64_t, int> in, out;
  std::vector<Fault> faults;
};

// Host "a" sends 300 datagrams to host "b" over a lossy, duplicating link. Every loss and every
// duplicate is reported as a fault of the sending endpoint, and what arrives is exactly what was
// sent, minus the lost, plus the duplicates.
Task<std::string> faults_reported(UdpEvents& events) {
  Network& nw = net();
  nw.config() = testing::exact_network();
  const HostId a = nw.add_host("a", {"10.1.0.1"});
  const HostId b = nw.add_host("b", {"10.1.0.2"});
  LinkConfig link = link_with_latency(kMillisecond, 2 * kMillisecond);
  link.udp_loss = 0.3;
  link.udp_duplicate = 0.2;
  link.udp_reorder = 0.1;
  nw.set_link(a, b, link);
  auto receiver = std::make_shared<std::shared_ptr<Endpoint>>();
  auto open_b = [receiver]() -> Task<void> {
    DatagramOptions opts;
    opts.local_addr = std::make_pair(std::string("10.1.0.2"), 5000);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    *receiver = p;
  };
  auto b_ready = spawn_on(b, open_b());
  co_await b_ready;
  auto sender_id = std::make_shared<uint64_t>(0);
  auto send_all = [sender_id]() -> Task<void> {
    DatagramOptions opts;
    opts.remote_addr = std::make_pair(std::string("10.1.0.2"), 5000);
    auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
    auto [t, p] = co_await std::move(open);
    *sender_id = t->resource_id();
    for (int i = 0; i < 300; ++i) t->sendto(std::to_string(i));
    co_await sleep(1.0);
    t->close();
  };
  auto sender = spawn_on(a, send_all());
  co_await sender;
  const uint64_t receiver_id = (*receiver)->transport->resource_id();
  int lost = 0, duplicated = 0, other = 0;
  for (const auto& f : events.faults) {
    if (f.subject != *sender_id || !f.detail.empty()) {
      ++other;
    } else if (f.kind == FaultKind::kDatagramLost) {
      ++lost;
    } else if (f.kind == FaultKind::kDatagramDuplicated) {
      ++duplicated;
    } else {
      ++other;
    }
  }
  const int received = static_cast<int>((*receiver)->got.size());
  (*receiver)->transport->close();
  std::string problems;
  if (lost < 50 || duplicated < 20) problems += " too few faults;";
  if (other != 0) problems += " faults of another kind or subject;";
  if (received != 300 - lost + duplicated) problems += " received != sent - lost + duplicated;";
  if (events.out[*sender_id] != 300) problems += " sender's out events != 300;";
  if (events.in[receiver_id] != received) problems += " receiver's in events != received;";
  co_return problems.empty() ? "ok" : problems;
}

TEST(SimUdpTest, LossAndDuplicationAreReportedToObserversAsFaultsOfTheSender) {
  for (uint64_t seed = 0; seed < 16; ++seed) {
    for (Strategy strategy : {Strategy::kFifo, Strategy::kRandom}) {
      UdpEvents events;
      auto main = [&events]() -> Task<std::string> {
        get_running_loop().add_observer(&events);
        Task<std::string> body = faults_reported(events);
        std::string result = co_await std::move(body);
        get_running_loop().remove_observer(&events);
        co_return result;
      };
      auto result = sim::run(main(), SimConfig{.seed = seed, .strategy = strategy});
      EXPECT_EQ(result.value(), "ok") << "seed " << seed << " " << strategy_name(strategy);
    }
  }
}

// A datagram sent across a cut is lost, and reported (after the partition itself) as a lost
// datagram of its sender ("cut").
TEST(SimUdpTest, DatagramLostToAPartitionIsReportedAsAFault) {
  auto main = []() -> Task<std::vector<std::string>> {
    UdpEvents events;
    get_running_loop().add_observer(&events);
    Network& nw = net();
    nw.config() = testing::exact_network();
    const HostId a = nw.add_host("a");
    const HostId b = nw.add_host("b");
    nw.partition({a}, {b});
    auto send = []() -> Task<uint64_t> {
      DatagramOptions opts;
      opts.remote_addr = std::make_pair(std::string("b"), 5000);
      auto open = create_datagram_endpoint([] { return std::make_shared<Endpoint>(); }, opts);
      auto [t, p] = co_await std::move(open);
      t->sendto("lost");
      co_await sleep(0.1);
      t->close();
      co_return t->resource_id();
    };
    auto sender = spawn_on(a, send());
    const uint64_t id = co_await sender;
    get_running_loop().remove_observer(&events);
    std::vector<std::string> out;
    for (const auto& f : events.faults) {
      out.push_back(std::to_string(static_cast<int>(f.kind)) + " " +
                    (f.subject == id ? "sender" : std::to_string(f.subject)) + " " + f.detail);
    }
    out.push_back("out " + std::to_string(events.out[id]));
    co_return out;
  };
  expect_everywhere(main, std::vector<std::string>{"0 0 a <-> b", "7 sender cut", "out 1"});
}

}  // namespace
}  // namespace weft::sim
