// Streams (open_connection / start_server / StreamReader / StreamWriter) on both worlds: real
// loopback sockets, and the simulated network under several seeds of both strategies (partial
// reads, jittered latencies and random schedules on, unless a test needs exact segments).
// Exact expected results; where the worlds differ (how a reset is made, kernel buffers against
// the simulated window), the test says so. Braced lists and lambdas are kept out of co_await
// expressions (g++ 12 bug).
#include <errno.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/weft.h"
#include "sim/net/network.h"
#include "sim/run.h"
#include "tests/io/fd_check.h"
#include "tests/io/world_runs.h"
#include "tests/sim/net/net_testing.h"
#include "tests/sim/net/sweep.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class StreamTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(StreamTest, testing::Worlds, testing::WorldNames);

using testing::check_runs;
using testing::expect_runs;
using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

// ---- What differs between the worlds ----

// A port nobody listens on: on the real loop one that was bound, read and closed; in the
// simulated world nothing listens unless the test listens.
int unused_real_port(int family) {
  int fd = ::socket(family, SOCK_STREAM, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  }
  ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int port = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                               : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  ::close(fd);
  return port;
}

template <class W>
int unused_port(int family = AF_INET) {
  if constexpr (W::kSimulated) {
    return 4242;
  } else {
    return unused_real_port(family);
  }
}

// Exact segment boundaries: the simulated network without partial reads or jitter, as the real
// loopback delivers small writes. Call at the start of main; nothing to do on the real loop.
template <class W>
void use_exact_network() {
  if constexpr (W::kSimulated) sim::testing::net().config() = sim::testing::exact_network();
}

// Closes `writer`'s connection with a reset: SO_LINGER 0 on a real socket (the kernel sends RST),
// Network::reset in the simulated world.
template <class W>
void reset(const Writer& writer) {
  if constexpr (W::kSimulated) {
    sim::testing::net().reset(writer->transport());
  } else {
    const int fd = std::get<int>(writer->get_extra_info("socket"));
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    writer->close();
  }
}

// ---- Both worlds ----

Task<void> echo_lines(Reader reader, Writer writer) {
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    writer->write(line);
    co_await writer->drain();
  }
  writer->close();
}

Task<std::string> round_trip(std::string host) {
  auto start = start_server(echo_lines, host, 0);
  auto server = co_await std::move(start);
  auto connect = open_connection(host, server->sockets().at(0).port);
  auto [reader, writer] = co_await std::move(connect);
  writer->write("hello\n");
  std::string line = co_await reader->readline();
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
  co_return line;
}

TYPED_TEST(StreamTest, RoundTripOverIPv4) {
  expect_runs<TypeParam>([] { return round_trip("127.0.0.1"); }, std::string("hello\n"));
}

TYPED_TEST(StreamTest, RoundTripOverIPv6) {
  expect_runs<TypeParam>([] { return round_trip("::1"); }, std::string("hello\n"));
}

TYPED_TEST(StreamTest, HostNamesAreResolved) {
  auto main = []() -> Task<std::string> {
    auto start = start_server(echo_lines, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    StreamOptions v4;
    v4.family = AF_INET;
    auto connect = open_connection("localhost", server->sockets().at(0).port, v4);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("named\n");
    std::string line = co_await reader->readline();
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return line;
  };
  expect_runs<TypeParam>(main, std::string("named\n"));
}

// The server sends "hel", waits for the client's "go\n", then sends "lo\nworld".
Task<void> send_in_two_parts(Reader reader, Writer writer) {
  writer->write("hel");
  co_await writer->drain();
  co_await reader->readline();
  writer->write("lo\nworld");
  co_await writer->drain();
  writer->close();
}

TYPED_TEST(StreamTest, ReadsReturnWhatHasArrivedAndLinesSpanSegments) {
  auto main = []() -> Task<std::vector<std::string>> {
    use_exact_network<TypeParam>();  // "hel" arrives in one piece
    auto start = start_server(send_in_two_parts, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::vector<std::string> got;
    got.push_back(co_await reader->read(100));
    auto line = create_task(reader->readline());
    co_await sleep(0);
    writer->write("go\n");
    got.push_back(co_await line);
    got.push_back(co_await reader->readexactly(5));
    got.push_back(co_await reader->read());
    got.push_back(reader->at_eof() ? "eof" : "not eof");
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_runs<TypeParam>(main, std::vector<std::string>{"hel", "lo\n", "world", "", "eof"});
}

Task<void> send_and_close(std::string data, Reader, Writer writer) {
  writer->write(data);
  co_await writer->drain();
  writer->close();
}

TYPED_TEST(StreamTest, ReadExactlyAtEofRaisesIncompleteReadErrorWithThePartialBytes) {
  auto main = []() -> Task<std::pair<std::string, size_t>> {
    ClientConnectedCallback cb = [](Reader r, Writer w) { return send_and_close("abc", r, w); };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::pair<std::string, size_t> out{"no error", 0};
    try {
      co_await reader->readexactly(5);
    } catch (const IncompleteReadError& e) {
      out = {e.partial, e.expected.value_or(0)};
    }
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return out;
  };
  expect_runs<TypeParam>(main, std::pair<std::string, size_t>{"abc", 5});
}

TYPED_TEST(StreamTest, PeerClosingMidLineGivesThePartialLineThenEof) {
  auto main = []() -> Task<std::vector<std::string>> {
    ClientConnectedCallback cb = [](Reader r, Writer w) {
      return send_and_close("no newline", r, w);
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::vector<std::string> got;
    got.push_back(co_await reader->readline());
    got.push_back(co_await reader->readline());
    got.push_back(reader->at_eof() ? "eof" : "not eof");
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_runs<TypeParam>(main, std::vector<std::string>{"no newline", "", "eof"});
}

TYPED_TEST(StreamTest, ReaduntilAtEofRaisesIncompleteReadErrorWithoutExpectedSize) {
  auto main = []() -> Task<std::pair<std::string, bool>> {
    ClientConnectedCallback cb = [](Reader r, Writer w) { return send_and_close("a;b", r, w); };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::pair<std::string, bool> out{"", false};
    out.first = co_await reader->readuntil(";");
    try {
      co_await reader->readuntil(";");
    } catch (const IncompleteReadError& e) {
      out.first += "|" + e.partial;
      out.second = !e.expected.has_value();
    }
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return out;
  };
  expect_runs<TypeParam>(main, std::pair<std::string, bool>{"a;|b", true});
}

template <class W>
Task<void> reset_connection(Reader, Writer writer) {
  reset<W>(writer);
  co_return;
}

TYPED_TEST(StreamTest, PeerResetRaisesConnectionResetError) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    auto start = start_server(reset_connection<TypeParam>, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::pair<std::string, int> out{"no error", 0};
    try {
      co_await reader->readline();
    } catch (const ConnectionResetError& e) {
      out = {"reset", e.err()};
    }
    // The writer sees the same loss.
    try {
      co_await writer->drain();
    } catch (const ConnectionResetError&) {
      out.first += "+drain";
    }
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return out;
  };
  expect_runs<TypeParam>(main, std::pair<std::string, int>{"reset+drain", ECONNRESET});
}

// Partial reads legitimately change this one (the second readline may see only part of the long
// line), so the simulated network delivers as the real loopback does.
TYPED_TEST(StreamTest, LineLongerThanTheLimit) {
  auto main = []() -> Task<std::vector<std::string>> {
    use_exact_network<TypeParam>();
    ClientConnectedCallback cb = [](Reader r, Writer w) {
      return send_and_close(std::string(40, 'x') + "\nok\n", r, w);
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    StreamOptions small;
    small.limit = 16;
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port, small);
    auto [reader, writer] = co_await std::move(connect);
    std::vector<std::string> got;
    try {
      co_await reader->readuntil("\n");
    } catch (const LimitOverrunError& e) {
      got.push_back("LimitOverrunError " + std::to_string(e.consumed));
    }
    try {
      co_await reader->readline();
    } catch (const ValueError& e) {
      got.push_back(std::string("ValueError ") + e.what());
    }
    got.push_back(co_await reader->readline());
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  expect_runs<TypeParam>(main, std::vector<std::string>{
                                   "LimitOverrunError 40",
                                   "ValueError Separator is found, but chunk is longer than limit",
                                   "ok\n"});
}

TYPED_TEST(StreamTest, TwoHundredConcurrentClients) {
  auto client = [](int port, int i) -> Task<bool> {
    auto connect = open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connect);
    const std::string line = "client " + std::to_string(i) + "\n";
    writer->write(line);
    std::string echoed = co_await reader->readline();
    writer->close();
    co_await writer->wait_closed();
    co_return echoed == line;
  };
  auto main = [client]() -> Task<int> {
    ServerOptions deep;
    deep.backlog = 256;  // 200 simultaneous SYNs must not overflow the accept queue
    auto start = start_server(echo_lines, "127.0.0.1", 0, {}, deep);
    auto server = co_await std::move(start);
    const int port = server->sockets().at(0).port;
    std::vector<Task<bool>> clients;
    for (int i = 0; i < 200; ++i) clients.push_back(client(port, i));
    auto all = gather(std::move(clients));
    auto results = co_await std::move(all);
    int ok = 0;
    for (bool r : results) ok += r;
    server->close();
    co_await server->wait_closed();
    co_return ok;
  };
  expect_runs<TypeParam>(main, 200, /*more_seeds=*/2);
}

struct SlowReader {
  Reader reader;
  Future<void> connected;
  Future<void> start_reading;
  size_t received = 0;
};

// The real loop writes more than its kernel buffers can hold (a few MB); the simulated network
// holds one window in flight, so less makes the same point there.
TYPED_TEST(StreamTest, SlowReaderMakesDrainWaitAndBuffersStayBounded) {
  constexpr bool kSimulated = TypeParam::kSimulated;
  constexpr size_t kTotal = kSimulated ? 4 << 20 : 16 << 20;
  auto main = []() -> Task<std::vector<std::string>> {
    auto slow = std::make_shared<SlowReader>(SlowReader{nullptr, Future<void>(), Future<void>()});
    ClientConnectedCallback cb = [slow](Reader r, Writer w) -> Task<void> {
      slow->reader = r;
      slow->connected.set_result();
      co_await slow->start_reading;
      while (true) {
        std::string block = co_await r->read(1 << 16);
        if (block.empty()) break;
        slow->received += block.size();
      }
      w->close();
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    co_await slow->connected;
    writer->write(std::string(kTotal, 'z'));
    auto drain = create_task(writer->drain());
    if constexpr (kSimulated) {
      co_await sleep(1.0);  // a whole virtual second: nothing more can move
    } else {
      for (int i = 0; i < 20; ++i) co_await sleep(0);
    }
    std::vector<std::string> got;
    got.push_back(drain.done() ? "drain done early" : "drain waits");
    // The server side paused reading above 2 * limit; one read (real) or one delivery of up to a
    // window (simulated) can bring more.
    size_t one_delivery = 256 * 1024;
    if constexpr (kSimulated) one_delivery = sim::testing::net().config().window;
    got.push_back(slow->reader->buffered() <= 2 * kDefaultStreamLimit + one_delivery
                      ? "server buffer bounded"
                      : "server buffer " + std::to_string(slow->reader->buffered()));
    got.push_back(writer->transport()->get_write_buffer_size() > kDefaultHighWater
                      ? "client buffer above high water"
                      : "client buffer small");
    if constexpr (kSimulated) {
      // The window holds the rest back in the writer's buffer: one full window is in flight or
      // unread, the rest of what left is in the server's StreamReader.
      const size_t left = slow->reader->buffered() + sim::testing::net().config().window;
      got.push_back(writer->transport()->get_write_buffer_size() == kTotal - left
                        ? "client buffer holds the rest"
                        : "client buffer " +
                              std::to_string(writer->transport()->get_write_buffer_size()) +
                              ", server buffer " + std::to_string(slow->reader->buffered()));
    }
    slow->start_reading.set_result();
    co_await drain;
    got.push_back(writer->transport()->get_write_buffer_size() <= kDefaultLowWater
                      ? "drained below low water"
                      : "not drained");
    writer->write_eof();
    co_await reader->read();
    got.push_back(std::to_string(slow->received));
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return got;
  };
  std::vector<std::string> expected{"drain waits", "server buffer bounded",
                                    "client buffer above high water"};
  if (kSimulated) expected.push_back("client buffer holds the rest");
  expected.push_back("drained below low water");
  expected.push_back(std::to_string(kTotal));
  expect_runs<TypeParam>(main, expected);
}

TYPED_TEST(StreamTest, ConnectToAClosedPortRaisesConnectionRefusedError) {
  const int port = unused_port<TypeParam>();
  auto main = [port]() -> Task<std::pair<int, std::string>> {
    try {
      auto connect = open_connection("127.0.0.1", port);
      co_await std::move(connect);
    } catch (const ConnectionRefusedError& e) {
      co_return std::make_pair(e.err(), e.peer);
    }
    co_return std::make_pair(0, std::string("connected"));
  };
  expect_runs<TypeParam>(
      main, std::pair<int, std::string>{ECONNREFUSED, "127.0.0.1:" + std::to_string(port)});
}

TYPED_TEST(StreamTest, ConnectToAClosedIPv6PortRaisesConnectionRefusedError) {
  const int port = unused_port<TypeParam>(AF_INET6);
  auto main = [port]() -> Task<std::string> {
    try {
      auto connect = open_connection("::1", port);
      co_await std::move(connect);
    } catch (const ConnectionRefusedError& e) {
      co_return e.peer;
    }
    co_return "connected";
  };
  expect_runs<TypeParam>(main, "[::1]:" + std::to_string(port));
}

TYPED_TEST(StreamTest, ExtraInfoNamesBothEnds) {
  auto main = []() -> Task<bool> {
    auto peer = std::make_shared<SocketAddress>();
    ClientConnectedCallback cb = [peer](Reader r, Writer w) -> Task<void> {
      *peer = std::get<SocketAddress>(w->get_extra_info("peername"));
      co_await r->read();
      w->close();
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    const int server_port = server->sockets().at(0).port;
    auto sock = std::get<SocketAddress>(writer->get_extra_info("sockname"));
    auto remote = std::get<SocketAddress>(writer->get_extra_info("peername"));
    const bool unknown_is_empty = std::holds_alternative<std::monostate>(
        writer->get_extra_info("no such key"));
    writer->write_eof();
    co_await reader->read();
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return unknown_is_empty && sock == *peer && remote.host == "127.0.0.1" &&
        remote.port == server_port && sock.family == AF_INET && sock.host == "127.0.0.1";
  };
  expect_runs<TypeParam>(main, true);
}

TYPED_TEST(StreamTest, WriteAfterWriteEofRaisesRuntimeError) {
  auto main = []() -> Task<bool> {
    auto start = start_server(echo_lines, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write_eof();
    bool raised = false;
    try {
      writer->write("late");
    } catch (const RuntimeError&) {
      raised = true;
    }
    co_await reader->read();
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return raised;
  };
  expect_runs<TypeParam>(main, true);
}

TYPED_TEST(StreamTest, ServeForeverEndsWhenClosedAndWaitClosedWaitsForConnections) {
  auto main = []() -> Task<std::vector<std::string>> {
    ServerOptions lazy;
    lazy.start_serving = false;
    auto start = start_server(echo_lines, "127.0.0.1", 0, {}, lazy);
    auto server = co_await std::move(start);
    std::vector<std::string> got;
    got.push_back(server->is_serving() ? "serving" : "not serving");
    auto forever = create_task(server->serve_forever());
    // The real loop runs the new task at the next step; under the random strategy it may start
    // a few steps later.
    const int steps = TypeParam::kSimulated ? 20 : 1;
    for (int i = 0; i < steps && !server->is_serving(); ++i) co_await sleep(0);
    got.push_back(server->is_serving() ? "serving" : "not serving");
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("x\n");
    got.push_back(co_await reader->readline());
    server->close();
    got.push_back(server->sockets().empty() ? "no sockets" : "sockets");
    auto closed = create_task(server->wait_closed());
    for (int i = 0; i < 5; ++i) co_await sleep(0);
    got.push_back(closed.done() ? "closed early" : "waits for the connection");
    writer->close();  // the handler sees EOF and closes its side
    co_await closed;
    try {
      co_await forever;
    } catch (const CancelledError&) {
      got.push_back("serve_forever cancelled");
    }
    co_return got;
  };
  expect_runs<TypeParam>(main, std::vector<std::string>{"not serving", "serving", "x\n",
                                                        "no sockets", "waits for the connection",
                                                        "serve_forever cancelled"});
}

TYPED_TEST(StreamTest, CancelledReadConsumesNothing) {
  auto main = []() -> Task<std::string> {
    auto start = start_server(echo_lines, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("partial");
    auto pending = create_task(reader->readline());  // the server echoes only whole lines
    co_await sleep(0);
    pending.cancel();
    try {
      co_await pending;
    } catch (const CancelledError&) {
    }
    writer->write(" line\n");
    std::string line = co_await reader->readline();
    writer->close();
    server->close();
    co_await server->wait_closed();
    co_return line;
  };
  expect_runs<TypeParam>(main, std::string("partial line\n"));
}

// ---- The simulated world only ----

// The simulated resolver knows its hosts; the real one asks the machine's DNS, which a test
// cannot rely on.
TEST(SimStreamTest, UnknownHostNameRaisesGaierrorShapedOSError) {
  auto main = []() -> Task<int> {
    try {
      auto connect = open_connection("no.such.host", 80);
      co_await std::move(connect);
    } catch (const ConnectionError&) {
      co_return -1000;
    } catch (const OSError& e) {
      co_return e.err();
    }
    co_return 0;
  };
  sim::testing::expect_everywhere(main, EAI_NONAME, sim::testing::sweep(1, 1));
}

}  // namespace
}  // namespace weft
