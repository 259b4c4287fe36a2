// What a person reads when connections fail (issue 11, items 13-15), on both loops: the text of
// ConnectionResetError / ConnectionRefusedError, the names of connection-handler tasks, the
// default handler's one line per kind with a count, and the simulated resolver's error.
#include <errno.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/exception_collector.h"
#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/weft.h"
#include "sim/net/network.h"
#include "sim/node.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class StreamMessagesTest : public ::testing::Test {};
TYPED_TEST_SUITE(StreamMessagesTest, testing::Worlds, testing::WorldNames);

using Log = std::vector<std::string>;
using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

// Closes `writer`'s connection with a reset: SO_LINGER 0 on a real socket, Network::reset in the
// simulated world. The peer sees ConnectionResetError.
template <class W>
void reset(const Writer& writer) {
  if constexpr (W::kSimulated) {
    sim::current_loop().network().reset(writer->transport());
  } else {
    const int fd = std::get<int>(writer->get_extra_info("socket"));
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    writer->close();
  }
}

std::string address_of(const ExtraInfo& info) {
  const auto* a = std::get_if<SocketAddress>(&info);
  return a ? a->to_string() : "?";
}

template <class W>
Task<void> reset_at_once(Reader, Writer writer) {
  reset<W>(writer);
  co_return;
}

// Python says "[Errno 104] Connection reset by peer"; weft adds the peer, once. The same text
// arrives from readline and from drain.
TYPED_TEST(StreamMessagesTest, ConnectionResetErrorSaysItOnceWithThePeer) {
  auto body = []() -> Task<Log> {
    auto start = start_server(reset_at_once<TypeParam>, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    const int port = server->sockets().at(0).port;
    auto connect = open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connect);
    Log log;
    try {
      Task<std::string> line = reader->readline();
      co_await std::move(line);
      log.push_back("no error");
    } catch (const ConnectionResetError& e) {
      log.push_back(e.what());
      log.push_back(e.peer);
    }
    try {
      Task<void> draining = writer->drain();
      co_await std::move(draining);
      log.push_back("no error");
    } catch (const ConnectionResetError& e) {
      log.push_back(e.what());
    }
    writer->close();
    server->close();
    co_await server->wait_closed();
    const std::string peer = absl::StrCat("127.0.0.1:", port);
    for (std::string& s : log) {
      if (size_t at = s.find(peer); at != std::string::npos) s.replace(at, peer.size(), "PEER");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"[Errno 104] Connection reset by peer (peer PEER)", "PEER",
                 "[Errno 104] Connection reset by peer (peer PEER)"}));
}

TYPED_TEST(StreamMessagesTest, ConnectionRefusedErrorSaysItOnceWithThePeer) {
  auto body = []() -> Task<std::string> {
    // A port that was just listened on and is closed again: nobody listens there now.
    auto start = start_server(reset_at_once<TypeParam>, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    const int port = server->sockets().at(0).port;
    server->close();
    co_await server->wait_closed();
    try {
      auto connect = open_connection("127.0.0.1", port);
      co_await std::move(connect);
    } catch (const ConnectionRefusedError& e) {
      std::string text = e.what();
      const std::string peer = absl::StrCat("127.0.0.1:", port);
      if (size_t at = text.find(peer); at != std::string::npos) text.replace(at, peer.size(), "PEER");
      co_return text;
    }
    co_return "no error";
  };
  EXPECT_EQ(TypeParam::run(body()),
            "[Errno 111] Connection refused: Connect call failed (peer PEER)");
}

// The server echoes one line, then waits for the next; the client resets instead of sending it.
Task<void> echo_lines(Reader reader, Writer writer) {
  while (true) {
    Task<std::string> reading = reader->readline();
    std::string line = co_await std::move(reading);
    if (line.empty()) break;
    writer->write(line);
    co_await writer->drain();
  }
  writer->close();
}

// `clients` connections, each reset by its client once the server's handler waits on it.
// Returns each client's own address ("127.0.0.1:port"), in order.
template <class W>
Task<Log> reset_many(int clients) {
  auto start = start_server(echo_lines, "127.0.0.1", 0);
  auto server = co_await std::move(start);
  const int port = server->sockets().at(0).port;
  Log addresses;
  for (int i = 0; i < clients; ++i) {
    auto connect = open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connect);
    addresses.push_back(address_of(writer->get_extra_info("sockname")));
    writer->write("hi\n");
    Task<std::string> echo = reader->readline();
    co_await std::move(echo);  // the handler is now waiting for the next line
    reset<W>(writer);
  }
  // Let every handler see its reset and fail.
  for (int i = 0; i < 20; ++i) co_await sleep(0.01);
  server->close();
  co_await server->wait_closed();
  co_return addresses;
}

// A test can collect the reports; each handler task is named after its peer.
TYPED_TEST(StreamMessagesTest, HandlerTasksAreNamedAfterTheirPeerAndReportsCanBeCollected) {
  auto body = []() -> Task<std::pair<Log, Log>> {
    ExceptionCollector collected;
    Task<Log> resets = reset_many<TypeParam>(5);
    Log clients = co_await std::move(resets);
    Log names;
    for (const auto& c : collected.contexts()) {
      names.push_back(c.message + " | " + c.task_name + " | " + describe_exception(c.exception));
    }
    Log expected;
    for (const auto& client : clients) {
      expected.push_back("Unhandled exception in client_connected_cb | client_connected_cb " +
                         client + " | weft::ConnectionResetError: [Errno 104] Connection reset " +
                         "by peer (peer " + client + ")");
    }
    co_return std::make_pair(names, expected);
  };
  auto [got, expected] = TypeParam::run(body());
  EXPECT_EQ(got, expected);
}

// Without a handler, stderr gets the first report in full and, when the loop closes, one line
// counting the others (it used to get one line per connection: 10,004 in one test log).
TYPED_TEST(StreamMessagesTest, DefaultHandlerPrintsOneLinePerKindPlusACount) {
  constexpr int kClients = 40;
  ::testing::internal::CaptureStderr();
  Log clients = TypeParam::run(reset_many<TypeParam>(kClients));
  const std::string err = ::testing::internal::GetCapturedStderr();
  Log lines;
  const std::vector<std::string> all_lines = absl::StrSplit(err, '\n');
  for (const std::string& line : all_lines) {
    if (line.find("client_connected_cb") != std::string::npos) lines.push_back(line);
  }
  ASSERT_EQ(clients.size(), static_cast<size_t>(kClients));
  EXPECT_EQ(lines,
            (Log{"weft: Unhandled exception in client_connected_cb: task 'client_connected_cb " +
                     clients[0] + "': weft::ConnectionResetError: [Errno 104] Connection reset " +
                     "by peer (peer " + clients[0] + ")",
                 "weft: Unhandled exception in client_connected_cb: weft::ConnectionResetError "
                 "(and 39 more like it)"}))
      << err;
}

// Item 15: the simulated resolver says which hosts exist.
TEST(StreamMessagesSimTest, UnknownHostNamesTheHostsThatExist) {
  auto body = []() -> Task<std::pair<int, std::string>> {
    sim::Node server("server", {"10.0.0.10"});
    sim::Node client("client0", {"10.0.0.11"});
    try {
      auto connect = open_connection("no-such-host", 7);
      co_await std::move(connect);
    } catch (const OSError& e) {
      co_return std::make_pair(e.err(), std::string(e.what()));
    }
    co_return std::make_pair(0, std::string("no error"));
  };
  EXPECT_EQ(testing::SimWorld::run(body()),
            (std::pair<int, std::string>{
                EAI_NONAME,
                "[Errno -2] Name or service not known: 'no-such-host' (the simulated network has "
                "no such host; its hosts are default, server, client0, plus localhost and numeric "
                "addresses)"}));
}

TEST(StreamMessagesSimTest, HostWithoutTheAskedFamilySaysWhatItHas) {
  auto body = []() -> Task<std::string> {
    sim::Node server("server", {"10.0.0.10"});
    try {
      StreamOptions v6;
      v6.family = AF_INET6;
      auto connect = open_connection("server", 7, v6);
      co_await std::move(connect);
    } catch (const OSError& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(testing::SimWorld::run(body()),
            "[Errno -5] No address associated with hostname: 'server' (it has 10.0.0.10; asked "
            "for AF_INET6)");
}

}  // namespace
}  // namespace weft
