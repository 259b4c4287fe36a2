// The streams scenarios of tests/io/stream_test.cc, unchanged user code, on the simulated
// network: loopback of the default host, under several seeds and both strategies (partial
// reads, jittered latencies and random schedules on), with exact expected results.
#include <errno.h>
#include <netdb.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/weft.h"
#include "sim/run.h"
#include "tests/sim/net/net_testing.h"
#include "tests/sim/net/sweep.h"

namespace weft::sim {
namespace {

using testing::expect_everywhere;
using testing::sweep;
using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

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

TEST(SimStreamTest, RoundTripOverIPv4) {
  expect_everywhere([] { return round_trip("127.0.0.1"); }, std::string("hello\n"));
}

TEST(SimStreamTest, RoundTripOverIPv6) {
  expect_everywhere([] { return round_trip("::1"); }, std::string("hello\n"));
}

TEST(SimStreamTest, HostNamesAreResolved) {
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
  expect_everywhere(main, std::string("named\n"));
}

Task<void> send_in_two_parts(Reader reader, Writer writer) {
  writer->write("hel");
  co_await writer->drain();
  co_await reader->readline();
  writer->write("lo\nworld");
  co_await writer->drain();
  writer->close();
}

// Exact segment boundaries need a network without partial reads.
TEST(SimStreamTest, ReadsReturnWhatHasArrivedAndLinesSpanSegments) {
  auto main = []() -> Task<std::vector<std::string>> {
    testing::net().config() = testing::exact_network();
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
  expect_everywhere(main, std::vector<std::string>{"hel", "lo\n", "world", "", "eof"});
}

Task<void> send_and_close(std::string data, Reader, Writer writer) {
  writer->write(data);
  co_await writer->drain();
  writer->close();
}

TEST(SimStreamTest, ReadExactlyAtEofRaisesIncompleteReadErrorWithThePartialBytes) {
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
  expect_everywhere(main, std::pair<std::string, size_t>{"abc", 5});
}

TEST(SimStreamTest, PeerClosingMidLineGivesThePartialLineThenEof) {
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
  expect_everywhere(main, std::vector<std::string>{"no newline", "", "eof"});
}

TEST(SimStreamTest, ReaduntilAtEofRaisesIncompleteReadErrorWithoutExpectedSize) {
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
  expect_everywhere(main, std::pair<std::string, bool>{"a;|b", true});
}

// tests/io sets SO_LINGER 0 on the fd; the simulated world has Network::reset for it.
Task<void> reset_connection(Reader, Writer writer) {
  testing::net().reset(writer->transport());
  co_return;
}

TEST(SimStreamTest, PeerResetRaisesConnectionResetError) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    auto start = start_server(reset_connection, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    std::pair<std::string, int> out{"no error", 0};
    try {
      co_await reader->readline();
    } catch (const ConnectionResetError& e) {
      out = {"reset", e.err()};
    }
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
  expect_everywhere(main, std::pair<std::string, int>{"reset+drain", ECONNRESET});
}

// Partial reads legitimately change this one (the second readline may see only part of the
// long line), so it runs without them, as the real loopback delivers it.
TEST(SimStreamTest, LineLongerThanTheLimit) {
  auto main = []() -> Task<std::vector<std::string>> {
    testing::net().config() = testing::exact_network();
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
  expect_everywhere(main, std::vector<std::string>{
                              "LimitOverrunError 40",
                              "ValueError Separator is found, but chunk is longer than limit",
                              "ok\n"});
}

TEST(SimStreamTest, TwoHundredConcurrentClients) {
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
    deep.backlog = 256;
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
  expect_everywhere(main, 200, sweep(1, 2));
}

struct SlowReader {
  Reader reader;
  Future<void> connected;
  Future<void> start_reading;
  size_t received = 0;
};

TEST(SimStreamTest, SlowReaderMakesDrainWaitAndBuffersStayBounded) {
  constexpr size_t kTotal = 4 << 20;
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
    co_await sleep(1.0);  // a whole virtual second: nothing more can move
    std::vector<std::string> got;
    got.push_back(drain.done() ? "drain done early" : "drain waits");
    // The reader paused the transport above 2 * limit (one delivery can bring up to a window);
    // the window holds the rest back in the writer's buffer.
    got.push_back(slow->reader->buffered() <= 2 * kDefaultStreamLimit + testing::net().config().window
                      ? "server buffer bounded"
                      : "server buffer " + std::to_string(slow->reader->buffered()));
    got.push_back(writer->transport()->get_write_buffer_size() >= kTotal - 512 * 1024
                      ? "client buffer holds the rest"
                      : "client buffer " +
                            std::to_string(writer->transport()->get_write_buffer_size()));
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
  expect_everywhere(main,
                    std::vector<std::string>{"drain waits", "server buffer bounded",
                                             "client buffer holds the rest",
                                             "drained below low water", std::to_string(kTotal)},
                    sweep(2, 2));
}

TEST(SimStreamTest, ConnectToAClosedPortRaisesConnectionRefusedError) {
  auto main = []() -> Task<std::pair<int, std::string>> {
    try {
      auto connect = open_connection("127.0.0.1", 4242);
      co_await std::move(connect);
    } catch (const ConnectionRefusedError& e) {
      co_return std::make_pair(e.err(), e.peer);
    }
    co_return std::make_pair(0, std::string("connected"));
  };
  expect_everywhere(main, std::pair<int, std::string>{ECONNREFUSED, "127.0.0.1:4242"});
}

TEST(SimStreamTest, ConnectToAClosedIPv6PortRaisesConnectionRefusedError) {
  auto main = []() -> Task<std::string> {
    try {
      auto connect = open_connection("::1", 4242);
      co_await std::move(connect);
    } catch (const ConnectionRefusedError& e) {
      co_return e.peer;
    }
    co_return "connected";
  };
  expect_everywhere(main, std::string("[::1]:4242"));
}

TEST(SimStreamTest, ExtraInfoNamesBothEnds) {
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
  expect_everywhere(main, true);
}

TEST(SimStreamTest, WriteAfterWriteEofRaisesRuntimeError) {
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
  expect_everywhere(main, true);
}

TEST(SimStreamTest, ServeForeverEndsWhenClosedAndWaitClosedWaitsForConnections) {
  auto main = []() -> Task<std::vector<std::string>> {
    ServerOptions lazy;
    lazy.start_serving = false;
    auto start = start_server(echo_lines, "127.0.0.1", 0, {}, lazy);
    auto server = co_await std::move(start);
    std::vector<std::string> got;
    got.push_back(server->is_serving() ? "serving" : "not serving");
    auto forever = create_task(server->serve_forever());
    // Under the random strategy the new task may start a few steps later.
    for (int i = 0; i < 20 && !server->is_serving(); ++i) co_await sleep(0);
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
    writer->close();
    co_await closed;
    try {
      co_await forever;
    } catch (const CancelledError&) {
      got.push_back("serve_forever cancelled");
    }
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"not serving", "serving", "x\n", "no sockets",
                                                   "waits for the connection",
                                                   "serve_forever cancelled"});
}

TEST(SimStreamTest, CancelledReadConsumesNothing) {
  auto main = []() -> Task<std::string> {
    auto start = start_server(echo_lines, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("partial");
    auto pending = create_task(reader->readline());
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
  expect_everywhere(main, std::string("partial line\n"));
}

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
  expect_everywhere(main, EAI_NONAME, sweep(1, 1));
}

}  // namespace
}  // namespace weft::sim
