// WorldHooks (runtime/world.h) on both loops: a decorator sees every call that crosses the
// network and executor seams while the program runs unchanged, a stand-in replaces the network
// entirely (a scripted peer, as a replayer would feed recorded bytes back), and misuse of the
// hooks is refused with a clear RuntimeError.
#include <gmock/gmock.h>
#include <errno.h>
#include <netdb.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/executor.h"
#include "runtime/io/executor_service.h"
#include "runtime/io/network.h"
#include "runtime/io/network_service.h"
#include "runtime/io/stream_socket.h"
#include "runtime/io/streams.h"
#include "runtime/weft.h"
#include "runtime/world.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Log = std::vector<std::string>;

// Counts and logs what crosses the network seam, then forwards to the world's own network.
class CountingNetwork final : public NetworkService {
 public:
  CountingNetwork(std::shared_ptr<NetworkService> inner, std::shared_ptr<Log> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}

  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family, int socktype,
                                          int flags) override {
    log_->push_back("getaddrinfo " + host);
    return inner_->getaddrinfo(std::move(host), port, family, socktype, flags);
  }
  Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                              std::optional<SocketAddress> local) override {
    log_->push_back("connect " + address.to_string());
    return inner_->connect(std::move(address), std::move(local));
  }
  std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>& addresses,
                                                const ServerOptions& options) override {
    log_->push_back("listen " + addresses.at(0).address.host);
    return inner_->listen(addresses, options);
  }
  std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions& options) override {
    log_->push_back("open_datagram " + (options.local ? options.local->to_string() : "-") + " " +
                    (options.remote ? options.remote->to_string() : "-"));
    return inner_->open_datagram(options);
  }

 private:
  std::shared_ptr<NetworkService> inner_;
  std::shared_ptr<Log> log_;
};

// Counts submits, forwards everything to the world's own executor.
class CountingExecutor final : public ExecutorService {
 public:
  CountingExecutor(std::shared_ptr<ExecutorService> inner, std::shared_ptr<Log> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done,
              uint64_t job) override {
    log_->push_back("submit");
    inner_->submit(std::move(work), std::move(done), job);
  }
  void set_max_workers(int n) override { inner_->set_max_workers(n); }
  size_t max_workers() const override { return inner_->max_workers(); }
  void shutdown() override {
    log_->push_back("shutdown");
    inner_->shutdown();
  }

 private:
  std::shared_ptr<ExecutorService> inner_;
  std::shared_ptr<Log> log_;
};

WorldHooks counting_hooks(std::shared_ptr<Log> log) {
  WorldHooks hooks;
  hooks.network = [log](std::shared_ptr<NetworkService> real) -> std::shared_ptr<NetworkService> {
    return std::make_shared<CountingNetwork>(std::move(real), log);
  };
  hooks.executor = [log](std::shared_ptr<ExecutorService> real)
      -> std::shared_ptr<ExecutorService> {
    return std::make_shared<CountingExecutor>(std::move(real), log);
  };
  return hooks;
}

template <class W>
class WorldHooksTest : public ::testing::Test {};
TYPED_TEST_SUITE(WorldHooksTest, testing::Worlds, testing::WorldNames);

Task<void> echo_line(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  Task<std::string> reading = reader->readline();
  std::string line = co_await std::move(reading);
  writer->write("echo " + line);
  co_await writer->drain();
  writer->close();
}

// The program runs unchanged through the decorator: an echo over loopback, a job on the
// executor; the decorator saw each crossing once, in order, and the shutdown at the end.
TYPED_TEST(WorldHooksTest, DecoratorSeesEveryCrossingAndTheProgramRunsUnchanged) {
  auto log = std::make_shared<Log>();
  auto body = []() -> Task<Log> {
    Log out;
    auto start = start_server(echo_line, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    const int port = server->sockets().at(0).port;
    auto connect = open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("hi\n");
    Task<std::string> reading = reader->readline();
    out.push_back(co_await std::move(reading));
    writer->close();
    server->close();
    co_await server->wait_closed();
    auto job = run_in_executor([] { return 6 * 7; });
    out.push_back(std::to_string(co_await std::move(job)));
    co_return out;
  };
  Log out = TypeParam::run(body(), counting_hooks(log));
  EXPECT_THAT(out, ElementsAre("echo hi\n", "42"));
  ASSERT_EQ(log->size(), 6u) << ::testing::PrintToString(*log);
  // Resolution, listen, resolution, one connect (to the port the server got), the job.
  EXPECT_EQ((*log)[0], "getaddrinfo 127.0.0.1");
  EXPECT_EQ((*log)[1], "listen 127.0.0.1");
  EXPECT_EQ((*log)[2], "getaddrinfo 127.0.0.1");
  EXPECT_THAT((*log)[3], ::testing::StartsWith("connect 127.0.0.1:"));
  EXPECT_THAT(std::vector<std::string>(log->begin() + 4, log->end()),
              ElementsAre("submit", "shutdown"));
}

class Echo final : public DatagramProtocol {
 public:
  void connection_made(std::shared_ptr<DatagramTransport> t) override { transport = t; }
  void datagram_received(std::string data, SocketAddress from) override {
    if (echo) transport->sendto("echo " + data, from);
    got.push_back(std::move(data));
    if (!received.done()) received.set_result();
  }
  void connection_lost(std::exception_ptr) override {
    transport = nullptr;
    if (!lost.done()) lost.set_result();
  }
  bool echo = true;
  std::shared_ptr<DatagramTransport> transport;
  Log got;
  Future<void> received;
  Future<void> lost;
};

// Datagram endpoints cross the seam as resolution and one open_datagram each (bound, or
// connected to the port the first one got); the program runs unchanged through the decorator.
TYPED_TEST(WorldHooksTest, DecoratorSeesDatagramSocketsOpened) {
  auto log = std::make_shared<Log>();
  auto body = []() -> Task<Log> {
    DatagramOptions server_options;
    server_options.local_addr = std::make_pair(std::string("127.0.0.1"), 0);
    auto open_server =
        create_datagram_endpoint([] { return std::make_shared<Echo>(); }, server_options);
    auto [server_t, server] = co_await std::move(open_server);
    const int port = std::get<SocketAddress>(server_t->get_extra_info("sockname")).port;
    DatagramOptions client_options;
    client_options.remote_addr = std::make_pair(std::string("127.0.0.1"), port);
    auto open_client =
        create_datagram_endpoint([] { return std::make_shared<Echo>(); }, client_options);
    auto [client_t, client] = co_await std::move(open_client);
    client->echo = false;
    client_t->sendto("hi");
    co_await client->received;
    Log out = {client->got.at(0), "port " + std::to_string(port)};
    client_t->close();
    server_t->close();
    co_await client->lost;
    co_await server->lost;
    co_return out;
  };
  Log out = TypeParam::run(body(), counting_hooks(log));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "echo hi");
  const std::string port = out[1].substr(5);
  EXPECT_THAT(*log, ElementsAre("getaddrinfo 127.0.0.1", "open_datagram 127.0.0.1:0 -",
                                "getaddrinfo 127.0.0.1", "open_datagram - 127.0.0.1:" + port));
}

// A connection whose peer is a script, below asyncio: each write is answered with the next
// line of the script (then EOF), as a replayer answers with recorded reads. Readiness is a loop
// callback, as from a world; asyncio's transport and streams above it are weft's own.
class ScriptedSocket final : public StreamSocket,
                             public std::enable_shared_from_this<ScriptedSocket> {
 public:
  ScriptedSocket(std::vector<std::string> replies, std::shared_ptr<Log> written)
      : replies_(std::move(replies)), written_(std::move(written)) {}

  Kind kind() const override { return Kind::kConnection; }
  uint64_t id() const override { return 1; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override {
    want_read_ = on;
    notify();
  }
  void want_write(bool on) override { want_write_ = on; }
  IoResult read(std::string& into) override {
    if (inbox_.empty()) return eof_ ? IoResult{} : IoResult{.err = EAGAIN};
    into = std::move(inbox_);
    inbox_.clear();
    return {.bytes = into.size()};
  }
  IoResult write(std::string_view data) override {
    if (closed_) return {.err = EPIPE};
    written_->push_back(std::string(data));
    if (next_ < replies_.size()) {
      inbox_ += replies_[next_++];
    } else {
      eof_ = true;
    }
    notify();
    return {.bytes = data.size()};
  }
  void shutdown_write() override {}
  void close(bool) override {
    closed_ = true;
    events_ = nullptr;
  }
  SocketAddress local_address() const override { return {AF_INET, "10.0.0.1", 40000}; }
  SocketAddress peer_address() const override { return {AF_INET, "10.9.9.9", 6379}; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }

 private:
  void notify() {
    if (!events_ || !want_read_ || (inbox_.empty() && !eof_) || scheduled_) return;
    scheduled_ = true;
    get_running_loop().call_soon([self = shared_from_this()] {
      self->scheduled_ = false;
      if (self->events_ && self->want_read_) self->events_->on_readable();
    });
  }

  std::vector<std::string> replies_;
  std::shared_ptr<Log> written_;
  Events* events_ = nullptr;
  std::string inbox_;
  size_t next_ = 0;
  bool eof_ = false;
  bool closed_ = false;
  bool want_read_ = false;
  bool want_write_ = false;
  bool scheduled_ = false;
};

// A network with one scripted peer: names resolve to one address, every connection gets the
// script; nothing listens.
class ScriptedNetwork final : public NetworkService {
 public:
  ScriptedNetwork(std::vector<std::string> replies, std::shared_ptr<Log> written)
      : replies_(std::move(replies)), written_(std::move(written)) {}
  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int, int socktype,
                                          int) override {
    written_->push_back("resolve " + host);
    AddrInfo info;
    info.family = AF_INET;
    info.socktype = socktype;
    info.address = {AF_INET, "10.9.9.9", port};
    co_return std::vector<AddrInfo>{info};
  }
  Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                              std::optional<SocketAddress>) override {
    written_->push_back("connect " + address.to_string());
    co_return std::make_shared<ScriptedSocket>(replies_, written_);
  }
  std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>&,
                                                const ServerOptions&) override {
    throw RuntimeError("scripted network: no servers");
  }
  std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions&) override {
    throw RuntimeError("scripted network: no datagrams");
  }

 private:
  std::vector<std::string> replies_;
  std::shared_ptr<Log> written_;
};

// The stand-in replaces the world's network: the program talks to the script, not to a host
// of the world (there is no server on "db.example" in either world), and what it wrote is
// recorded for comparison.
TYPED_TEST(WorldHooksTest, StandInReplacesTheNetwork) {
  auto written = std::make_shared<Log>();
  WorldHooks hooks;
  hooks.network = [written](std::shared_ptr<NetworkService>) -> std::shared_ptr<NetworkService> {
    return std::make_shared<ScriptedNetwork>(Log{"+OK ready\n", "+OK 7\n"}, written);
  };
  auto body = []() -> Task<Log> {
    Log out;
    auto connect = open_connection("db.example", 6379);
    auto [reader, writer] = co_await std::move(connect);
    writer->write("HELLO\n");
    for (int i = 0; i < 2; ++i) {
      Task<std::string> reading = reader->readline();
      out.push_back(co_await std::move(reading));
      if (i == 0) writer->write("GET n\n");
    }
    writer->write("QUIT\n");
    Task<std::string> rest = reader->read();
    out.push_back("eof:" + co_await std::move(rest));
    writer->close();
    co_return out;
  };
  Log out = TypeParam::run(body(), hooks);
  EXPECT_THAT(out, ElementsAre("+OK ready\n", "+OK 7\n", "eof:"));
  EXPECT_THAT(*written, ElementsAre("resolve db.example", "connect 10.9.9.9:6379", "HELLO\n",
                                    "GET n\n", "QUIT\n"));
}

// Hooks after a service is in use would split the run between two worlds: refused, and the
// loop keeps working. A hook that returns null is refused when the service is first needed.
TYPED_TEST(WorldHooksTest, LateOrNullHooksAreRefused) {
  auto loop = TypeParam::make_loop();
  ASSERT_NE(loop->network_service(), nullptr);
  try {
    loop->set_world_hooks({});
    ADD_FAILURE() << "set_world_hooks after first use was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already in use"));
  }
  EXPECT_NE(loop->network_service(), nullptr);
  loop->close();
  EXPECT_EQ(loop->network_service(), nullptr);
  EXPECT_THROW(loop->set_world_hooks({}), RuntimeError);

  auto fresh = TypeParam::make_loop();
  WorldHooks null_hook;
  null_hook.executor = [](std::shared_ptr<ExecutorService>) -> std::shared_ptr<ExecutorService> {
    return nullptr;
  };
  fresh->set_world_hooks(null_hook);
  try {
    fresh->executor_service();
    ADD_FAILURE() << "a null executor from a hook was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("WorldHooks.executor returned null"));
  }
  fresh->close();
}

}  // namespace
}  // namespace weft
