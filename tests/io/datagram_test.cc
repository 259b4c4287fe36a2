// asyncio's datagram transport, written once (runtime/io/internal/datagram_transport.h), on both
// worlds: what the loop's observers see of each datagram, send errors through error_received,
// failing protocol callbacks, sends after close, and — through a world's socket wrapped so its
// sends would block — the write buffer, its flow control, and close / abort with datagrams
// still buffered. The simulated half runs over several seeds under both strategies
// (tests/testing/worlds.h, and four more seeds each here).
#include <errno.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/datagram_socket.h"
#include "runtime/io/network.h"
#include "runtime/io/network_service.h"
#include "runtime/observer.h"
#include "runtime/weft.h"
#include "runtime/world.h"
#include "tests/io/fd_check.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class DatagramTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(DatagramTest, testing::Worlds, testing::WorldNames);

// Runs `make()` (a fresh Task each call) in world W. A simulated W also runs it at four more
// seeds under its strategy, and every run must give the result of the first.
template <class W, class F>
auto run_everywhere(F make, WorldHooks hooks = {}) {
  if constexpr (W::kSimulated) {
    sim::SimConfig config = W::config();
    config.world = hooks;
    auto first = W::run(make(), config);
    for (uint64_t i = 0; i < 4; ++i) {
      config.seed = 100 * (W::kSeed + 1) + i;
      EXPECT_EQ(W::run(make(), config), first) << "seed " << config.seed;
    }
    return first;
  } else {
    return W::run(make(), hooks);
  }
}

class Endpoint : public DatagramProtocol {
 public:
  explicit Endpoint(bool echo = false, size_t want = 1) : want_(want), echo_(echo) {}
  void connection_made(std::shared_ptr<DatagramTransport> t) override { transport = t; }
  void datagram_received(std::string data, SocketAddress from) override {
    if (data == "bad") throw ValueError("bad datagram");
    if (echo_) transport->sendto("echo " + data, from);
    got.emplace_back(std::move(data), from);
    if (got.size() >= want_ && !received.done()) received.set_result();
  }
  void error_received(std::exception_ptr exc) override {
    errors.push_back(exc);
    if (!errored.done()) errored.set_result();
  }
  void pause_writing() override {
    log.push_back("pause " + std::to_string(transport->get_write_buffer_size()));
  }
  void resume_writing() override {
    log.push_back("resume " + std::to_string(transport->get_write_buffer_size()));
  }
  void connection_lost(std::exception_ptr exc) override {
    log.push_back(exc ? "lost with an error" : "lost");
    transport = nullptr;
    if (!lost.done()) lost.set_result();
  }

  std::shared_ptr<DatagramTransport> transport;
  std::vector<std::pair<std::string, SocketAddress>> got;
  std::vector<std::exception_ptr> errors;
  Log log;
  Future<void> received;
  Future<void> errored;
  Future<void> lost;

 private:
  size_t want_;
  bool echo_;
};

DatagramOptions bound_to(std::string host) {
  DatagramOptions o;
  o.local_addr = std::make_pair(std::move(host), 0);
  return o;
}

DatagramOptions connected_to(std::string host, int port) {
  DatagramOptions o;
  o.remote_addr = std::make_pair(std::move(host), port);
  return o;
}

Task<std::shared_ptr<Endpoint>> open(DatagramOptions options, std::shared_ptr<Endpoint> p) {
  auto opening = create_datagram_endpoint([p] { return p; }, std::move(options));
  auto [transport, protocol] = co_await std::move(opening);
  co_return protocol;
}

SocketAddress sockname(const std::shared_ptr<Endpoint>& p) {
  return std::get<SocketAddress>(p->transport->get_extra_info("sockname"));
}

// Records every datagram the loop reports.
struct DatagramLog final : LoopObserver {
  struct Event {
    uint64_t endpoint;
    IoDirection direction;
    std::string peer;
    std::string data;
  };
  void on_datagram(uint64_t endpoint, IoDirection direction, std::string_view peer,
                   std::string_view data) override {
    events.push_back({endpoint, direction, std::string(peer), std::string(data)});
  }
  std::vector<Event> events;
};

// A client sends "ping" to an echoing server; the observer names each event's endpoint and peer.
Task<Log> observed_round_trip(std::string host) {
  EventLoop& loop = get_running_loop();
  DatagramLog observed;
  loop.add_observer(&observed);
  Task<std::shared_ptr<Endpoint>> opening_server =
      open(bound_to(host), std::make_shared<Endpoint>(/*echo=*/true));
  std::shared_ptr<Endpoint> server = co_await std::move(opening_server);
  const SocketAddress server_addr = sockname(server);
  Task<std::shared_ptr<Endpoint>> opening_client =
      open(connected_to(host, server_addr.port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> client = co_await std::move(opening_client);
  const SocketAddress client_addr = sockname(client);
  client->transport->sendto("ping");
  co_await client->received;
  loop.remove_observer(&observed);
  auto name = [&](uint64_t id) {
    return id == client->transport->resource_id()   ? std::string("client")
           : id == server->transport->resource_id() ? std::string("server")
                                                    : "endpoint " + std::to_string(id);
  };
  // Exact text: a peer that is neither endpoint's address shows as itself.
  auto peer = [&](const std::string& text) {
    return text == client_addr.to_string()   ? std::string("client")
           : text == server_addr.to_string() ? std::string("server")
                                             : text;
  };
  Log out;
  for (const auto& e : observed.events) {
    out.push_back(name(e.endpoint) + (e.direction == IoDirection::kIn ? " in from " : " out to ") +
                  peer(e.peer) + ": " + e.data);
  }
  const std::string prefix = host == "::1" ? "[::1]:" : "127.0.0.1:";
  out.push_back(server_addr.to_string() == prefix + std::to_string(server_addr.port)
                    ? "address text ok"
                    : server_addr.to_string());
  client->transport->close();
  server->transport->close();
  co_await client->lost;
  co_await server->lost;
  co_return out;
}

TYPED_TEST(DatagramTest, ObserversSeeEveryDatagramWithItsEndpointPeerAndBytes) {
  for (std::string host : {"127.0.0.1", "::1"}) {
    EXPECT_EQ(run_everywhere<TypeParam>([host] { return observed_round_trip(host); }),
              (Log{"client out to server: ping", "server in from client: ping",
                   "server out to client: echo ping", "client in from server: echo ping",
                   "address text ok"}))
        << host;
  }
}

// EMSGSIZE goes to error_received (as asyncio: the caller sees nothing); the endpoint stays open
// and the largest datagram, and an empty one, still arrive whole.
Task<Log> oversized_then_largest_then_empty() {
  Task<std::shared_ptr<Endpoint>> opening_receiver =
      open(bound_to("127.0.0.1"), std::make_shared<Endpoint>(false, 2));
  std::shared_ptr<Endpoint> receiver = co_await std::move(opening_receiver);
  Task<std::shared_ptr<Endpoint>> opening_sender =
      open(connected_to("127.0.0.1", sockname(receiver).port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> sender = co_await std::move(opening_sender);
  Log out;
  sender->transport->sendto(std::string(65508, 'x'));
  out.push_back(sender->errors.size() == 1 ? "error_received at once" : "no error yet");
  sender->transport->sendto(std::string(65507, 'y'));
  sender->transport->sendto("");
  co_await receiver->received;
  try {
    std::rethrow_exception(sender->errors.at(0));
  } catch (const OSError& e) {
    out.push_back(e.err() == EMSGSIZE ? "OSError EMSGSIZE" : e.what());
  }
  for (const auto& [data, from] : receiver->got) out.push_back(std::to_string(data.size()));
  out.push_back(sender->transport->is_closing() ? "closing" : "open");
  sender->transport->close();
  receiver->transport->close();
  co_await sender->lost;
  co_await receiver->lost;
  co_return out;
}

TYPED_TEST(DatagramTest, OversizedDatagramGoesToErrorReceivedAndTheEndpointStaysOpen) {
  EXPECT_EQ(run_everywhere<TypeParam>(oversized_then_largest_then_empty),
            (Log{"error_received at once", "OSError EMSGSIZE", "65507", "0", "open"}));
}

// A datagram_received that throws is reported to the loop's exception handler, as asyncio's
// loop reports a failed callback; the endpoint keeps receiving.
Task<Log> failing_datagram_received() {
  Log out;
  get_running_loop().set_exception_handler([&out](EventLoop&, const ExceptionContext& c) {
    std::string what;
    try {
      std::rethrow_exception(c.exception);
    } catch (const ValueError& e) {
      what = e.what();
    }
    out.push_back(c.message + ": " + what);
  });
  Task<std::shared_ptr<Endpoint>> opening_receiver =
      open(bound_to("127.0.0.1"), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> receiver = co_await std::move(opening_receiver);
  Task<std::shared_ptr<Endpoint>> opening_sender =
      open(connected_to("127.0.0.1", sockname(receiver).port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> sender = co_await std::move(opening_sender);
  sender->transport->sendto("bad");
  sender->transport->sendto("good");
  co_await receiver->received;
  out.push_back("received " + receiver->got.at(0).first);
  sender->transport->close();
  receiver->transport->close();
  co_await sender->lost;
  co_await receiver->lost;
  get_running_loop().set_exception_handler(nullptr);
  co_return out;
}

TYPED_TEST(DatagramTest, FailingDatagramReceivedIsReportedAndReceivingGoesOn) {
  EXPECT_EQ(run_everywhere<TypeParam>(failing_datagram_received),
            (Log{"Exception in callback protocol.datagram_received(): bad datagram",
                 "received good"}));
}

// After close() a sendto neither raises nor sends (asyncio's connected endpoint); the checks on
// the address still raise ValueError.
Task<Log> send_after_close() {
  Task<std::shared_ptr<Endpoint>> opening_receiver =
      open(bound_to("127.0.0.1"), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> receiver = co_await std::move(opening_receiver);
  const int port = sockname(receiver).port;
  Task<std::shared_ptr<Endpoint>> opening_sender =
      open(connected_to("127.0.0.1", port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> sender = co_await std::move(opening_sender);
  std::shared_ptr<DatagramTransport> t = sender->transport;
  Log out;
  t->sendto("before");
  t->close();
  t->sendto("after close");
  try {
    t->sendto("x", SocketAddress{AF_INET, "127.0.0.1", port + 1});
  } catch (const ValueError& e) {
    out.push_back(e.what());
  }
  out.push_back(t->is_closing() ? "closing" : "open");
  co_await sender->lost;
  t->sendto("after connection_lost");
  co_await receiver->received;
  co_await sleep(0.05);
  for (const auto& [data, from] : receiver->got) out.push_back(data);
  for (const auto& line : sender->log) out.push_back(line);
  out.push_back("errors " + std::to_string(sender->errors.size()));
  receiver->transport->close();
  co_await receiver->lost;
  co_return out;
}

TYPED_TEST(DatagramTest, SendtoAfterCloseIsDroppedSilently) {
  const std::string invalid = "Invalid address: must be None or ('127.0.0.1', ";
  Log out = run_everywhere<TypeParam>(send_after_close);
  ASSERT_EQ(out.size(), 5u) << ::testing::PrintToString(out);
  EXPECT_EQ(out[0].rfind(invalid, 0), 0u) << out[0];
  EXPECT_EQ(Log(out.begin() + 1, out.end()), (Log{"closing", "before", "lost", "errors 0"}));
}

// Wraps the world's datagram sockets: while the gate is shut, send() answers EAGAIN and
// writability is withheld, as a full send buffer would; everything else goes to the world's
// socket.
struct Gate {
  bool shut = false;
  int refused = 0;
};

class GatedSocket final : public DatagramSocket, public DatagramSocket::Events {
 public:
  GatedSocket(std::shared_ptr<DatagramSocket> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  ~GatedSocket() override { inner_->set_events(nullptr); }

  uint64_t id() const override { return inner_->id(); }
  void set_events(DatagramSocket::Events* events) override {
    events_ = events;
    inner_->set_events(events ? this : nullptr);
  }
  void want_read(bool on) override { inner_->want_read(on); }
  void want_write(bool on) override { inner_->want_write(on); }
  IoResult receive(std::string& into, SocketAddress& from) override {
    return inner_->receive(into, from);
  }
  IoResult send(std::string_view data, const std::optional<SocketAddress>& to) override {
    if (gate_->shut) {
      ++gate_->refused;
      return {.err = EAGAIN};
    }
    return inner_->send(data, to);
  }
  void close() override { inner_->close(); }
  SocketAddress local_address() const override { return inner_->local_address(); }
  std::optional<SocketAddress> peer_address() const override { return inner_->peer_address(); }
  ExtraInfo extra_info(std::string_view name) const override { return inner_->extra_info(name); }

  void on_readable() override {
    if (events_) events_->on_readable();
  }
  void on_writable() override {
    if (events_ && !gate_->shut) events_->on_writable();
  }
  void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept override {
    if (auto* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
  }

 private:
  std::shared_ptr<DatagramSocket> inner_;
  std::shared_ptr<Gate> gate_;
  DatagramSocket::Events* events_ = nullptr;
};

class GatedNetwork final : public NetworkService {
 public:
  GatedNetwork(std::shared_ptr<NetworkService> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family, int socktype,
                                          int flags) override {
    return inner_->getaddrinfo(std::move(host), port, family, socktype, flags);
  }
  Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                              std::optional<SocketAddress> local) override {
    return inner_->connect(std::move(address), std::move(local));
  }
  std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>& addresses,
                                                const ServerOptions& options) override {
    return inner_->listen(addresses, options);
  }
  std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions& options) override {
    return std::make_shared<GatedSocket>(inner_->open_datagram(options), gate_);
  }

 private:
  std::shared_ptr<NetworkService> inner_;
  std::shared_ptr<Gate> gate_;
};

WorldHooks gated(std::shared_ptr<Gate> gate) {
  WorldHooks hooks;
  hooks.network = [gate](std::shared_ptr<NetworkService> real) -> std::shared_ptr<NetworkService> {
    return std::make_shared<GatedNetwork>(std::move(real), gate);
  };
  return hooks;
}

// Datagrams the socket refuses are buffered in order (8 bytes of header each, as asyncio
// counts), pause_writing fires above the high-water mark, a close() waits for the flush, and the
// flush resumes writing and then loses the connection.
Task<Log> buffered_then_flushed(std::shared_ptr<Gate> gate) {
  Task<std::shared_ptr<Endpoint>> opening_receiver =
      open(bound_to("127.0.0.1"), std::make_shared<Endpoint>(false, 3));
  std::shared_ptr<Endpoint> receiver = co_await std::move(opening_receiver);
  Task<std::shared_ptr<Endpoint>> opening_sender =
      open(connected_to("127.0.0.1", sockname(receiver).port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> sender = co_await std::move(opening_sender);
  std::shared_ptr<DatagramTransport> t = sender->transport;
  Log out;
  t->set_write_buffer_limits(20, 10);
  const auto [low, high] = t->get_write_buffer_limits();
  out.push_back("limits " + std::to_string(low) + " " + std::to_string(high));
  gate->shut = true;
  for (std::string data : {"a", "bb", "ccc"}) {
    t->sendto(data);
    out.push_back("buffered " + std::to_string(t->get_write_buffer_size()));
  }
  for (int i = 0; i < 3; ++i) co_await sleep(0);
  t->close();
  for (int i = 0; i < 3; ++i) co_await sleep(0);
  out.push_back("still buffered " + std::to_string(t->get_write_buffer_size()) + ", received " +
                std::to_string(receiver->got.size()));
  gate->shut = false;
  co_await receiver->received;
  co_await sender->lost;
  for (const auto& [data, from] : receiver->got) out.push_back("received " + data);
  for (const auto& line : sender->log) out.push_back(line);
  out.push_back(gate->refused > 0 ? "refused while shut" : "never refused");
  receiver->transport->close();
  co_await receiver->lost;
  co_return out;
}

TYPED_TEST(DatagramTest, RefusedSendsAreBufferedInOrderWithFlowControlAndCloseFlushesThem) {
  auto gate = std::make_shared<Gate>();
  EXPECT_EQ(run_everywhere<TypeParam>([gate] {
              *gate = Gate{};
              return buffered_then_flushed(gate);
            }, gated(gate)),
            (Log{"limits 10 20", "buffered 9", "buffered 19", "buffered 30",
                 "still buffered 30, received 0", "received a", "received bb", "received ccc",
                 "pause 30", "resume 0", "lost", "refused while shut"}));
}

// abort() drops what is buffered: connection_lost(null), nothing sent after the gate opens.
Task<Log> buffered_then_aborted(std::shared_ptr<Gate> gate) {
  Task<std::shared_ptr<Endpoint>> opening_receiver =
      open(bound_to("127.0.0.1"), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> receiver = co_await std::move(opening_receiver);
  Task<std::shared_ptr<Endpoint>> opening_sender =
      open(connected_to("127.0.0.1", sockname(receiver).port), std::make_shared<Endpoint>());
  std::shared_ptr<Endpoint> sender = co_await std::move(opening_sender);
  std::shared_ptr<DatagramTransport> t = sender->transport;
  Log out;
  gate->shut = true;
  t->sendto("dropped 1");
  t->sendto("dropped 2");
  t->abort();
  out.push_back("after abort " + std::to_string(t->get_write_buffer_size()));
  gate->shut = false;
  co_await sender->lost;
  co_await sleep(0.05);
  out.push_back("received " + std::to_string(receiver->got.size()));
  for (const auto& line : sender->log) out.push_back(line);
  receiver->transport->close();
  co_await receiver->lost;
  co_return out;
}

TYPED_TEST(DatagramTest, AbortDropsBufferedDatagrams) {
  auto gate = std::make_shared<Gate>();
  EXPECT_EQ(run_everywhere<TypeParam>([gate] {
              *gate = Gate{};
              return buffered_then_aborted(gate);
            }, gated(gate)),
            (Log{"after abort 0", "received 0", "lost"}));
}

}  // namespace
}  // namespace weft
