// The simulated TCP model itself, with exact virtual times under a fixed configuration:
// handshake and refusal timing, latency, bandwidth, partial reads, half-close, resets, windows,
// partitions, clogs, timeouts, crashes, random faults, and determinism.
#include <errno.h>
#include <netdb.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/io/network.h"
#include "runtime/io/streams.h"
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
using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

constexpr int64_t kMs = kMillisecond;

int64_t now_ns() { return get_running_loop().time_ns(); }

// Closes and waits until the connection is lost, whatever the loss (so no connection_lost is
// still pending when the run ends: see the report on StreamReaderProtocol::closed_).
Task<void> close_quietly(Writer writer) {
  writer->close();
  try {
    co_await writer->wait_closed();
  } catch (const std::exception&) {
    // The loss's exception was already observed by the test (a reset, a timeout).
  }
}

// Two hosts, "server" (10.0.1.1, fd01::1) and "client" (10.0.1.2, fd01::2), 1 ms apart,
// nothing random. Connecting to the name "server" tries both of its addresses in turn.
struct Pair {
  HostId server;
  HostId client;
};
Pair two_hosts(NetworkConfig config = testing::exact_network()) {
  Network& nw = net();
  nw.config() = config;
  return {nw.add_host("server", {"10.0.1.1", "fd01::1"}),
          nw.add_host("client", {"10.0.1.2", "fd01::2"})};
}

Task<void> echo_lines(Reader reader, Writer writer) {
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    writer->write(line);
    co_await writer->drain();
  }
  auto closing_writer = close_quietly(writer);
  co_await std::move(closing_writer);
}

Task<std::shared_ptr<Server>> serve_echo(int port) {
  auto start = start_server(echo_lines, "", port);
  co_return co_await std::move(start);
}

// Runs `body` on `host` and returns its result.
template <class T>
Task<T> on(HostId host, Task<T> body) {
  auto handle = spawn_on(host, std::move(body));
  co_return co_await std::move(handle);
}

TEST(SimTcpTest, ConnectTakesOneRoundTripAndTheServerSeesTheClientAddress) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto seen = std::make_shared<std::vector<std::string>>();
    ClientConnectedCallback cb = [seen](Reader r, Writer w) -> Task<void> {
      auto peer = std::get<SocketAddress>(w->get_extra_info("peername"));
      seen->push_back(absl::StrCat("accepted at ", now_ns() / 1000, "us from ", peer.host));
      co_await r->read();
      w->close();
    };
    auto listen = [cb]() -> Task<std::shared_ptr<Server>> {
      auto start = start_server(cb, "10.0.1.1", 80);
      co_return co_await std::move(start);
    };
    auto on_1 = on(s, listen());
    auto server = co_await std::move(on_1);
    auto client = [seen]() -> Task<void> {
      auto connect = open_connection("server", 80);
      auto [reader, writer] = co_await std::move(connect);
      auto sock = std::get<SocketAddress>(writer->get_extra_info("sockname"));
      seen->push_back(absl::StrCat("connected at ", now_ns() / 1000, "us as ", sock.host));
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_await writer->wait_closed();
    };
    auto on_27 = on(c, client());
    co_await std::move(on_27);
    server->close();
    co_await server->wait_closed();
    co_return *seen;
  };
  expect_everywhere(main, std::vector<std::string>{"accepted at 1000us from 10.0.1.2",
                                                   "connected at 2000us as 10.0.1.2"});
}

TEST(SimTcpTest, RefusedAfterExactlyOneRoundTrip) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    (void)s;
    auto attempt = [](std::string host) -> Task<std::string> {
      const int64_t t0 = now_ns();
      try {
        auto connect = open_connection(host, 81);
        co_await std::move(connect);
      } catch (const ConnectionRefusedError& e) {
        co_return absl::StrCat(e.peer, " refused after ", (now_ns() - t0) / 1000, "us");
      }
      co_return "connected";
    };
    std::vector<std::string> got;
    for (std::string host : {"10.0.1.1", "fd01::1", "127.0.0.1"}) {
      auto t = on(c, attempt(host));
      got.push_back(co_await std::move(t));
    }
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"10.0.1.1:81 refused after 2000us",
                                                   "[fd01::1]:81 refused after 2000us",
                                                   "127.0.0.1:81 refused after 20us"});
}

TEST(SimTcpTest, FixedLatencyGivesExactDeliveryTimes) {
  auto main = []() -> Task<std::vector<int64_t>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_2 = on(s, serve_echo(7));
    auto server = co_await std::move(on_2);
    auto client = []() -> Task<std::vector<int64_t>> {
      auto connect = open_connection("10.0.1.1", 7);
      auto [reader, writer] = co_await std::move(connect);
      std::vector<int64_t> times{now_ns()};
      writer->write("ping\n");
      co_await reader->readline();
      times.push_back(now_ns());
      co_await sleep(0.5);
      writer->write("again\n");
      co_await reader->readline();
      times.push_back(now_ns());
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_await writer->wait_closed();
      co_return times;
    };
    auto on_3 = on(c, client());
    auto times = co_await std::move(on_3);
    server->close();
    co_await server->wait_closed();
    co_return times;
  };
  expect_everywhere(main, std::vector<int64_t>{2 * kMs, 4 * kMs, 506 * kMs});
}

TEST(SimTcpTest, LatencyIsDrawnWithinItsRangeAndNeverReordersAConnection) {
  auto main = []() -> Task<bool> {
    NetworkConfig config = testing::exact_network();
    config.link = link_with_latency(1 * kMs, 9 * kMs);
    config.partial_read_probability = 0.5;
    const Pair hosts = two_hosts(config);
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_4 = on(s, serve_echo(7));
    auto server = co_await std::move(on_4);
    auto client = []() -> Task<bool> {
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      for (int i = 0; i < 50; ++i) writer->write(absl::StrCat("line ", i, "\n"));
      bool ok = true;
      for (int i = 0; i < 50; ++i) {
        const int64_t t0 = now_ns();
        std::string line = co_await reader->readline();
        ok = ok && line == absl::StrCat("line ", i, "\n");
        (void)t0;
      }
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return ok;
    };
    const int64_t t0 = now_ns();
    auto on_5 = on(c, client());
    bool ok = co_await std::move(on_5);
    const int64_t took = now_ns() - t0;
    server->close();
    co_await server->wait_closed();
    // Handshake plus one echo: between 4 round trips of the fastest and of the slowest link.
    co_return ok && took >= 4 * kMs && took <= 4 * 9 * kMs + 50 * kMicrosecond;
  };
  expect_everywhere(main, true);
}

TEST(SimTcpTest, BandwidthAddsTransmissionTime) {
  auto main = []() -> Task<std::vector<int64_t>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    LinkConfig link = link_with_latency(kMs, kMs);
    link.bandwidth = 1'000'000;  // 1 MB/s: 1 us per byte
    net().set_link(s, c, link);
    auto got = std::make_shared<std::vector<int64_t>>();
    ClientConnectedCallback cb = [got](Reader r, Writer w) -> Task<void> {
      co_await r->readexactly(10'000);
      got->push_back(now_ns());
      co_await r->readexactly(200'000);
      got->push_back(now_ns());
      w->close();
    };
    auto listen = [cb]() -> Task<std::shared_ptr<Server>> {
      auto start = start_server(cb, "", 9);
      co_return co_await std::move(start);
    };
    auto on_6 = on(s, listen());
    auto server = co_await std::move(on_6);
    auto client = []() -> Task<void> {
      auto connect = open_connection("server", 9);
      auto [reader, writer] = co_await std::move(connect);
      writer->write(std::string(10'000, 'a'));  // at 2 ms
      co_await sleep(1.0);
      writer->write(std::string(200'000, 'b'));  // at 1.002 s: four segments, back to back
      co_await reader->read();
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
    };
    auto on_28 = on(c, client());
    co_await std::move(on_28);
    server->close();
    co_await server->wait_closed();
    co_return *got;
  };
  expect_everywhere(main, std::vector<int64_t>{2 * kMs + 10 * kMs + kMs,
                                               1002 * kMs + 200 * kMs + kMs});
}

// A server protocol that records how each client write was cut into data_received calls.
class Chunks : public Protocol {
 public:
  void data_received(std::string data) override { chunks->push_back(std::move(data)); }
  std::shared_ptr<std::vector<std::string>> chunks = std::make_shared<std::vector<std::string>>();
};

TEST(SimTcpTest, PartialReadsSplitAWriteButStreamsReassembleIt) {
  // With the default configuration some seed splits the single 26-byte write; readexactly and
  // readline see the same bytes whatever the split.
  const std::string message = "abcdefghijklmnopqrstuvwxyz";
  std::set<size_t> chunk_counts;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    auto main = [message]() -> Task<std::pair<size_t, std::string>> {
      auto chunks = std::make_shared<std::vector<std::string>>();
      ProtocolFactory factory = [chunks] {
        auto p = std::make_shared<Chunks>();
        p->chunks = chunks;
        return std::shared_ptr<Protocol>(p);
      };
      auto create = create_server(factory, "127.0.0.1", 0);
      auto server = co_await std::move(create);
      auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
      auto [reader, writer] = co_await std::move(connect);
      writer->write(message);
      co_await sleep(0.01);
      std::string joined;
      for (auto& c : *chunks) joined += c;
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      server->close();
      co_await server->wait_closed();
      co_return std::make_pair(chunks->size(), joined);
    };
    auto result = sim::run(main, SimConfig{.seed = seed});
    auto [count, joined] = result.value();
    EXPECT_EQ(joined, message) << "seed " << seed;
    chunk_counts.insert(count);
  }
  EXPECT_TRUE(chunk_counts.contains(1));
  EXPECT_TRUE(chunk_counts.contains(2));

  auto framed = []() -> Task<std::vector<std::string>> {
    ClientConnectedCallback cb = [](Reader r, Writer w) -> Task<void> {
      std::string head = co_await r->readexactly(4);
      std::string line = co_await r->readline();
      std::string tail = co_await r->read();
      w->write(head + "|" + line + "|" + tail);
      w->close();
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("HEADkey=value\nrest of it");
    writer->write_eof();
    std::string reply = co_await reader->read();
    auto closing_writer = close_quietly(writer);
    co_await std::move(closing_writer);
    server->close();
    co_await server->wait_closed();
    co_return std::vector<std::string>{reply};
  };
  expect_everywhere(framed, std::vector<std::string>{"HEAD|key=value\n|rest of it"},
                    sweep(20, 20));
}

TEST(SimTcpTest, HalfCloseLetsThePeerAnswerAfterEof) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    ClientConnectedCallback cb = [](Reader r, Writer w) -> Task<void> {
      std::string all = co_await r->read();  // to EOF
      w->write("got " + std::to_string(all.size()) + " bytes, eof=" +
               (r->at_eof() ? "yes" : "no"));
      co_await w->drain();
      w->close();
    };
    auto listen = [cb]() -> Task<std::shared_ptr<Server>> {
      auto start = start_server(cb, "", 5);
      co_return co_await std::move(start);
    };
    auto on_7 = on(s, listen());
    auto server = co_await std::move(on_7);
    auto client = []() -> Task<std::vector<std::string>> {
      auto connect = open_connection("server", 5);
      auto [reader, writer] = co_await std::move(connect);
      writer->write("twelve bytes");
      writer->write_eof();
      std::vector<std::string> got;
      got.push_back(co_await reader->read());
      got.push_back(absl::StrCat("at ", now_ns() / 1000, "us"));
      got.push_back(co_await reader->read());
      got.push_back(reader->at_eof() ? "eof" : "open");
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_8 = on(c, client());
    auto got = co_await std::move(on_8);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"got 12 bytes, eof=yes", "at 4000us", "",
                                                   "eof"});
}

TEST(SimTcpTest, ResetConnectionsGivesBothEndsConnectionResetError) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto server_error = std::make_shared<std::string>("none");
    ClientConnectedCallback cb = [server_error](Reader r, Writer w) -> Task<void> {
      try {
        co_await r->read();
      } catch (const ConnectionResetError& e) {
        *server_error = absl::StrCat("server: reset errno ", e.err(), " at ", now_ns() / 1000);
      }
      w->close();
    };
    auto listen = [cb]() -> Task<std::shared_ptr<Server>> {
      auto start = start_server(cb, "", 5);
      co_return co_await std::move(start);
    };
    auto on_9 = on(s, listen());
    auto server = co_await std::move(on_9);
    auto client = [s, c]() -> Task<std::string> {
      auto connect = open_connection("server", 5);
      auto [reader, writer] = co_await std::move(connect);
      net().at(50 * kMs, [s, c] { net().reset_connections(c, s); });
      try {
        co_await reader->read();
      } catch (const ConnectionResetError& e) {
        co_return absl::StrCat("client: reset errno ", e.err(), " at ", now_ns() / 1000);
      }
      co_return "client: no reset";
    };
    auto client_t = on(c, client());
    std::string first = co_await std::move(client_t);
    std::vector<std::string> got{first};
    co_await sleep(0.1);
    got.push_back(*server_error);
    got.push_back(std::to_string(net().open_connections()));
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"client: reset errno 104 at 50000",
                                                   "server: reset errno 104 at 50000", "0"});
}

TEST(SimTcpTest, RandomResetFaultHitsTheFirstCrossHostSegment) {
  auto main = []() -> Task<std::string> {
    NetworkConfig config = testing::exact_network();
    config.faults.tcp_reset_probability = 1.0;
    const Pair hosts = two_hosts(config);
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    // The echo handler fails with the reset; that report is expected here.
    get_running_loop().set_exception_handler([](EventLoop&, const ExceptionContext&) {});
    auto on_10 = on(s, serve_echo(7));
    auto server = co_await std::move(on_10);
    auto client = []() -> Task<std::string> {
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      writer->write("hello\n");
      try {
        co_await reader->readline();
      } catch (const ConnectionResetError&) {
        co_return absl::StrCat("reset at ", now_ns() / 1000, "us");
      }
      co_return "no reset";
    };
    auto on_11 = on(c, client());
    auto got = co_await std::move(on_11);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::string("reset at 2000us"));
}

TEST(SimTcpTest, SlowReaderFillsTheWindowThenTheWritersBuffer) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto go = std::make_shared<Future<void>>();
    ClientConnectedCallback cb = [go](Reader r, Writer w) -> Task<void> {
      co_await *go;
      size_t n = 0;
      while (true) {
        std::string block = co_await r->read(4096);
        if (block.empty()) break;
        n += block.size();
      }
      w->write(std::to_string(n));
      w->close();
    };
    auto listen = [cb]() -> Task<std::shared_ptr<Server>> {
      auto start = start_server(cb, "", 5);
      co_return co_await std::move(start);
    };
    auto on_12 = on(s, listen());
    auto server = co_await std::move(on_12);
    auto client = [go]() -> Task<std::vector<std::string>> {
      auto connect = open_connection("server", 5);
      auto [reader, writer] = co_await std::move(connect);
      std::vector<std::string> got;
      size_t written = 0;
      // Write 16 KiB blocks until drain blocks for a whole virtual second.
      while (true) {
        writer->write(std::string(16 * 1024, 'x'));
        written += 16 * 1024;
        auto drain = writer->drain();
        auto bounded = wait_for(std::move(drain), 1.0);
        try {
          co_await std::move(bounded);
        } catch (const TimeoutError&) {
          break;
        }
      }
      // Everything written at one instant arrives together: the reader's first data_received
      // takes a whole 256 KiB window (and pauses the transport, being above 2 * 64 KiB), the
      // next window fills up unread, and the writer buffers until above 64 KiB: 80 KiB.
      got.push_back(std::to_string(written));
      got.push_back(std::to_string(writer->transport()->get_write_buffer_size()));
      go->set_result();
      auto drain = writer->drain();
      co_await std::move(drain);
      writer->write_eof();
      got.push_back(co_await reader->read());
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_13 = on(c, client());
    auto got = co_await std::move(on_13);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{std::to_string(592 * 1024),
                                                   std::to_string(80 * 1024),
                                                   std::to_string(592 * 1024)},
                    sweep(1, 0));
}

// The partition test of the issue: a client with a wait_for timeout sees TimeoutError while cut
// off and succeeds after the heal, at the exact virtual times expected.
TEST(SimTcpTest, PartitionTimesOutWaitForThenHealsAtExactTimes) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_14 = on(s, serve_echo(7));
    auto server = co_await std::move(on_14);
    net().at(5 * kSecond, [s, c] { net().partition({s}, {c}); });
    net().at(9 * kSecond, [s, c] { net().heal({s}, {c}); });
    auto client = []() -> Task<std::vector<std::string>> {
      std::vector<std::string> log;
      auto stamp = [&log](std::string what) {
        log.push_back(absl::StrCat(what, " at ", now_ns() / 1000, "us"));
      };
      // One persistent connection, made before the cut.
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      auto request = [](std::string line) -> Task<std::string> {
        auto c = open_connection("server", 7);
        auto [r, w] = co_await std::move(c);
        w->write(line);
        std::string reply = co_await r->readline();
        w->close();
        co_return reply;
      };
      for (double at : {1.0, 6.0, 10.0}) {
        co_await sleep(at - get_running_loop().time());
        auto fresh = wait_for(request("fresh\n"), 0.5);
        try {
          std::string reply = co_await std::move(fresh);
          stamp("new connection: " + reply.substr(0, reply.size() - 1));
        } catch (const TimeoutError&) {
          stamp("new connection: TimeoutError");
        }
        writer->write("held " + std::to_string(static_cast<int>(at)) + "\n");
        auto line = wait_for(reader->readline(), 0.5);
        try {
          std::string reply = co_await std::move(line);
          stamp("persistent: " + reply.substr(0, reply.size() - 1));
        } catch (const TimeoutError&) {
          stamp("persistent: TimeoutError");
        }
      }
      // After the heal the line held at 6 s came first; the one sent at 10 s follows.
      auto last = wait_for(reader->readline(), 0.5);
      std::string reply = co_await std::move(last);
      stamp("persistent: " + reply.substr(0, reply.size() - 1));
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return log;
    };
    auto on_15 = on(c, client());
    auto log = co_await std::move(on_15);
    server->close();
    co_await server->wait_closed();
    co_return log;
  };
  expect_everywhere(main, std::vector<std::string>{
                              "new connection: fresh at 1004000us",
                              "persistent: held 1 at 1006000us",
                              "new connection: TimeoutError at 6500000us",
                              "persistent: TimeoutError at 7000000us",
                              "new connection: fresh at 10004000us",
                              "persistent: held 6 at 10004000us",
                              "persistent: held 10 at 10006000us"});
}

TEST(SimTcpTest, OneWayCutHoldsOnlyThatDirection) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_16 = on(s, serve_echo(7));
    auto server = co_await std::move(on_16);
    auto client = [s, c]() -> Task<std::vector<std::string>> {
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      net().partition({s}, {c}, /*both_ways=*/false);  // replies cannot come back
      std::vector<std::string> got;
      got.push_back(net().is_cut(s, c) && !net().is_cut(c, s) ? "s->c cut only" : "wrong cut");
      writer->write("one\n");
      net().at(now_ns() + 100 * kMs, [] { net().heal_all(); });
      std::string line = co_await reader->readline();
      got.push_back(absl::StrCat(line.substr(0, 3), " at ", now_ns() / 1000, "us"));
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_17 = on(c, client());
    auto got = co_await std::move(on_17);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  // The request arrives at 3 ms; the echo is held from 4 ms until the heal at 102 ms.
  expect_everywhere(main, std::vector<std::string>{"s->c cut only", "one at 103000us"});
}

TEST(SimTcpTest, DataHeldAcrossACutTimesOutWithEtimedout) {
  auto main = []() -> Task<std::vector<std::string>> {
    NetworkConfig config = testing::exact_network();
    config.tcp_timeout_ns = 10 * kSecond;
    config.connect_timeout_ns = 3 * kSecond;
    const Pair hosts = two_hosts(config);
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_18 = on(s, serve_echo(7));
    auto server = co_await std::move(on_18);
    auto client = [s, c]() -> Task<std::vector<std::string>> {
      std::vector<std::string> got;
      auto connect = open_connection("10.0.1.1", 7);
      auto [reader, writer] = co_await std::move(connect);
      net().partition({s}, {c});
      writer->write("stuck\n");
      try {
        co_await reader->readline();
      } catch (const ConnectionError&) {
        got.push_back("ConnectionError");
      } catch (const OSError& e) {
        got.push_back(absl::StrCat("OSError errno ", e.err(), " at ", now_ns() / 1000, "us"));
      }
      try {
        auto again = open_connection("10.0.1.1", 7);
        co_await std::move(again);
      } catch (const OSError& e) {
        got.push_back(absl::StrCat("connect: errno ", e.err(), " at ", now_ns() / 1000, "us"));
      }
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_19 = on(c, client());
    auto got = co_await std::move(on_19);
    // The server's end never heard of the timeout (half-open); reset it so the run ends clean.
    net().heal_all();
    net().reset_connections(s, c);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  // Sent at 2 ms, held from 3 ms, given up 10 s later; then a connect times out after 3 s.
  expect_everywhere(main, std::vector<std::string>{
                              absl::StrCat("OSError errno ", ETIMEDOUT, " at 10003000us"),
                              absl::StrCat("connect: errno ", ETIMEDOUT, " at 13003000us")});
}

TEST(SimTcpTest, ClogDelaysEverythingFromAndToAHost) {
  auto main = []() -> Task<std::vector<int64_t>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_20 = on(s, serve_echo(7));
    auto server = co_await std::move(on_20);
    auto client = [s]() -> Task<std::vector<int64_t>> {
      auto connect = open_connection("10.0.1.1", 7);
      auto [reader, writer] = co_await std::move(connect);
      std::vector<int64_t> got;
      net().clog(s, 2 * kSecond);  // at 2 ms: until 2.002 s
      writer->write("a\n");
      co_await reader->readline();
      got.push_back(now_ns());
      writer->write("b\n");
      co_await reader->readline();
      got.push_back(now_ns());
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_21 = on(c, client());
    auto got = co_await std::move(on_21);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  // "a" leaves when the clog ends (2.002 s), arrives 1 ms later, the echo 1 ms after that.
  expect_everywhere(main, std::vector<int64_t>{2004 * kMs, 2006 * kMs});
}

// A protocol that counts its callbacks, to show a crashed host's protocols are never called.
class Counting : public Protocol {
 public:
  explicit Counting(std::shared_ptr<int> calls) : calls_(std::move(calls)) {}
  void connection_made(std::shared_ptr<Transport> t) override {
    transport_ = t;
    ++*calls_;
  }
  void data_received(std::string) override { ++*calls_; }
  bool eof_received() override {
    ++*calls_;
    return false;
  }
  void connection_lost(std::exception_ptr) override {
    ++*calls_;
    transport_ = nullptr;
  }

 private:
  std::shared_ptr<int> calls_;
  std::shared_ptr<Transport> transport_;
};

TEST(SimTcpTest, CrashHostResetsPeersSilentlyDropsItsEndsAndRestartListensAgain) {
  auto main = []() -> Task<std::vector<std::string>> {
    NetworkConfig config = testing::exact_network();
    config.connect_timeout_ns = 5 * kSecond;
    const Pair hosts = two_hosts(config);
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto calls = std::make_shared<int>(0);
    SimLoop& loop = current_loop();
    const uint16_t group = loop.new_group();
    net().assign_group(group, s);
    auto start_node = [calls]() -> Task<void> {
      ProtocolFactory f = [calls] { return std::make_shared<Counting>(calls); };
      auto create = create_server(f, "", 7);
      auto server = co_await std::move(create);
      Future<void> forever;
      co_await forever;
    };
    auto node = loop.create_task(start_node());
    node.core()->set_group(group);
    auto client = [s, group, calls, start_node]() -> Task<std::vector<std::string>> {
      SimLoop& loop = current_loop();
      std::vector<std::string> got;
      auto stamp = [&got](std::string what) {
        got.push_back(absl::StrCat(what, " at ", now_ns() / 1000, "us"));
      };
      co_await sleep(0.001);
      auto connect = open_connection("10.0.1.1", 7);
      auto [reader, writer] = co_await std::move(connect);
      writer->write("hi");
      co_await sleep(0.1);
      const int before = *calls;
      net().crash_host(s);
      loop.kill_group(group);
      try {
        co_await reader->read();
      } catch (const ConnectionResetError&) {
        stamp("reset");
      }
      got.push_back(absl::StrCat("server protocol calls after crash: ", *calls - before));
      try {
        auto again = open_connection("10.0.1.1", 7);
        co_await std::move(again);
      } catch (const OSError& e) {
        stamp(absl::StrCat("down: errno ", e.err()));
      }
      net().restart_host(s);
      try {
        auto again = open_connection("10.0.1.1", 7);
        co_await std::move(again);
      } catch (const ConnectionRefusedError&) {
        stamp("up, not listening: refused");
      }
      auto restarted = loop.create_task(start_node());
      restarted.core()->set_group(group);
      co_await sleep(0);
      auto again = open_connection("10.0.1.1", 7);
      auto [r2, w2] = co_await std::move(again);
      stamp("reconnected");
      auto closing_w2 = close_quietly(w2);
      co_await std::move(closing_w2);
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_22 = on(c, client());
    auto got = co_await std::move(on_22);
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{
                          "reset at 104000us", "server protocol calls after crash: 0",
                          absl::StrCat("down: errno ", ETIMEDOUT, " at 5104000us"),
                          "up, not listening: refused at 5106000us",
                          "reconnected at 5108000us"});
}

TEST(SimTcpTest, RandomPartitionsAndClogsDelayButLoseNothing) {
  auto main = []() -> Task<std::vector<std::string>> {
    NetworkConfig config;  // default latencies and partial reads
    config.faults.partition_probability = 0.05;
    config.faults.partition_min_ns = 100 * kMs;
    config.faults.partition_max_ns = 2 * kSecond;
    config.faults.clog_probability = 0.05;
    const Pair hosts = two_hosts(config);
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_23 = on(s, serve_echo(7));
    auto server = co_await std::move(on_23);
    auto client = []() -> Task<std::vector<std::string>> {
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      std::vector<std::string> got;
      for (int i = 0; i < 100; ++i) {
        writer->write(absl::StrCat("m", i, "\n"));
        got.push_back(co_await reader->readline());
      }
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return got;
    };
    auto on_24 = on(c, client());
    auto got = co_await std::move(on_24);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(absl::StrCat("m", i, "\n"));
  int64_t slowest = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto r = sim::run(main, SimConfig{.seed = seed});
    ASSERT_TRUE(r.ok()) << describe_exception(r.error());
    EXPECT_EQ(r.value(), expected) << "seed " << seed;
    EXPECT_EQ(sim::run(main, SimConfig{.seed = seed}).digest, r.digest);
    slowest = std::max(slowest, r.end_time_ns);
  }
  // Without faults 100 echoes take well under a second; the faults held some for longer.
  EXPECT_GT(slowest, kSecond);
}

TEST(SimTcpTest, DifferentSeedsGiveDifferentRunsTheSameSeedTheSameOne) {
  auto main = []() -> Task<std::string> {
    const Pair hosts = two_hosts(NetworkConfig{});
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto on_25 = on(s, serve_echo(7));
    auto server = co_await std::move(on_25);
    auto client = []() -> Task<std::string> {
      auto connect = open_connection("server", 7);
      auto [reader, writer] = co_await std::move(connect);
      writer->write("x\n");
      std::string line = co_await reader->readline();
      auto closing_writer = close_quietly(writer);
      co_await std::move(closing_writer);
      co_return line;
    };
    auto on_26 = on(c, client());
    auto got = co_await std::move(on_26);
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  std::set<uint64_t> digests;
  std::set<int64_t> ends;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto a = sim::run(main, SimConfig{.seed = seed});
    auto b = sim::run(main, SimConfig{.seed = seed});
    EXPECT_EQ(a.value(), "x\n");
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ(a.end_time_ns, b.end_time_ns);
    digests.insert(a.digest);
    ends.insert(a.end_time_ns);
  }
  EXPECT_EQ(digests.size(), 10u);
  EXPECT_GT(ends.size(), 5u);
}

TEST(SimTcpTest, HostTableResolution) {
  auto main = []() -> Task<std::vector<std::string>> {
    Network& nw = net();
    const HostId a = nw.add_host("alpha", {"192.168.0.5", "2001:db8::0005"});
    std::vector<std::string> got;
    got.push_back(nw.host_addresses(a).at(1));
    auto r1 = getaddrinfo("alpha", 80);
    for (auto& info : co_await std::move(r1)) got.push_back(info.address.to_string());
    auto r2 = getaddrinfo("alpha", 80, AF_INET6);
    for (auto& info : co_await std::move(r2)) got.push_back(info.address.to_string());
    auto r3 = getaddrinfo("localhost", 1);
    for (auto& info : co_await std::move(r3)) got.push_back(info.address.to_string());
    try {
      auto r4 = getaddrinfo("beta", 80);
      co_await std::move(r4);
    } catch (const OSError& e) {
      got.push_back(e.err() == EAI_NONAME ? "beta: EAI_NONAME" : "beta: other");
    }
    try {
      nw.add_host("dup", {"192.168.0.5"});
    } catch (const ValueError&) {
      got.push_back("duplicate address: ValueError");
    }
    got.push_back(nw.host_name(nw.find_host("192.168.0.5").value()));
    got.push_back(nw.host_name(Network::kDefaultHost) + " " + nw.host_addresses(0).at(0));
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{
                              "2001:db8::5", "192.168.0.5:80", "[2001:db8::5]:80",
                              "[2001:db8::5]:80", "127.0.0.1:1", "[::1]:1", "beta: EAI_NONAME",
                              "duplicate address: ValueError", "alpha", "default 10.0.0.1"},
                    sweep(1, 1));
}

TEST(SimTcpTest, EachHostHasItsOwnLoopback) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    const HostId s = hosts.server;
    const HostId c = hosts.client;
    auto listening = on(s, serve_echo(7));  // listens on the server's addresses and lo
    auto server = co_await std::move(listening);
    auto try_local = []() -> Task<std::string> {
      try {
        auto connect = open_connection("127.0.0.1", 7);
        co_await std::move(connect);
      } catch (const ConnectionRefusedError&) {
        co_return "refused";
      }
      co_return "connected";
    };
    std::vector<std::string> got;
    auto from_client = on(c, try_local());
    got.push_back("client lo: " + co_await std::move(from_client));
    auto from_server = on(s, try_local());
    got.push_back("server lo: " + co_await std::move(from_server));
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"client lo: refused", "server lo: connected"});
}

TEST(SimTcpTest, UnacceptedConnectionsAreResetWhenTheServerCloses) {
  auto main = []() -> Task<std::vector<std::string>> {
    net().config() = testing::exact_network();
    ServerOptions lazy;
    lazy.start_serving = false;
    auto create = create_server([] { return std::make_shared<Counting>(std::make_shared<int>()); },
                                "127.0.0.1", 0, lazy);
    auto server = co_await std::move(create);
    std::vector<std::string> got;
    // The handshake completes in the backlog, so the connect succeeds.
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    got.push_back(absl::StrCat("connected at ", now_ns() / 1000, "us"));
    server->close();
    try {
      co_await reader->read();
    } catch (const ConnectionResetError&) {
      got.push_back(absl::StrCat("reset at ", now_ns() / 1000, "us"));
    }
    co_await server->wait_closed();
    got.push_back(absl::StrCat(net().open_connections(), " open"));
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"connected at 20us", "reset at 30us", "0 open"});
}

TEST(SimTcpTest, CancelledConnectLeavesNothingBehind) {
  auto main = []() -> Task<std::vector<std::string>> {
    const Pair hosts = two_hosts();
    net().partition({hosts.server}, {hosts.client});
    auto attempt = []() -> Task<std::string> {
      auto connect = wait_for(open_connection("10.0.1.1", 7), 0.25);
      try {
        co_await std::move(connect);
      } catch (const TimeoutError&) {
        co_return absl::StrCat("TimeoutError at ", now_ns() / 1000, "us");
      }
      co_return "connected";
    };
    auto t = on(hosts.client, attempt());
    std::string outcome = co_await std::move(t);
    std::vector<std::string> got{outcome};
    net().heal_all();
    co_await sleep(1.0);
    got.push_back(absl::StrCat(net().open_connections(), " open"));
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"TimeoutError at 250000us", "0 open"});
}

TEST(SimTcpTest, TeardownWithOpenConnectionsCallsNoProtocolAndLeaksNothing) {
  auto calls = std::make_shared<int>(0);
  auto main = [calls]() -> Task<int> {
    const Pair hosts = two_hosts();
    auto listen = [calls]() -> Task<std::shared_ptr<Server>> {
      ProtocolFactory f = [calls] { return std::make_shared<Counting>(calls); };
      auto create = create_server(f, "", 7);
      co_return co_await std::move(create);
    };
    auto t = on(hosts.server, listen());
    auto server = co_await std::move(t);
    for (int i = 0; i < 3; ++i) {
      auto connect = create_connection([calls] { return std::make_shared<Counting>(calls); },
                                       "10.0.1.1", 7);
      auto [transport, protocol] = co_await std::move(connect);
      transport->write("pending");  // still in flight when the run ends
    }
    co_return *calls;
  };
  for (const auto& config : sweep()) {
    auto result = sim::run(main, config);
    const int at_end = result.value();
    // Nothing was called after main returned: not while cancelling, not at teardown.
    EXPECT_EQ(*calls, at_end) << testing::describe(config);
  }
}

}  // namespace
}  // namespace weft::sim
