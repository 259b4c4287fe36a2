// WorldHooks (runtime/world.h) on both loops: a decorator sees every call that crosses the
// network and executor seams while the program runs unchanged, a stand-in replaces the network
// entirely (a scripted peer, as a replayer would feed recorded bytes back), and misuse of the
// hooks is refused with a clear RuntimeError.
#include <gmock/gmock.h>
#include <errno.h>
#include <netdb.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/clock.h"
#include "runtime/io/executor.h"
#include "runtime/io/executor_service.h"
#include "runtime/io/child_process.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/internal/subprocess_transport.h"
#include "runtime/io/network.h"
#include "runtime/io/network_service.h"
#include "runtime/io/process_service.h"
#include "runtime/io/stream_socket.h"
#include "runtime/io/streams.h"
#include "runtime/io/subprocess.h"
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

// Counts the readings of the world's clock and passes them on unchanged.
class CountingClock final : public Clock {
 public:
  CountingClock(std::shared_ptr<Clock> inner, std::shared_ptr<std::vector<int64_t>> readings)
      : inner_(std::move(inner)), readings_(std::move(readings)) {}
  int64_t now_ns() override {
    const int64_t t = inner_->now_ns();
    readings_->push_back(t);
    return t;
  }

 private:
  std::shared_ptr<Clock> inner_;
  std::shared_ptr<std::vector<int64_t>> readings_;
};

// A clock decorator sees every reading the program gets (loop.time()) and the loop's own (the
// sleep's deadline and the checks that it is due), and the program runs unchanged.
TYPED_TEST(WorldHooksTest, ClockDecoratorSeesEveryReading) {
  auto readings = std::make_shared<std::vector<int64_t>>();
  WorldHooks hooks;
  hooks.clock = [readings](std::shared_ptr<Clock> own) -> std::shared_ptr<Clock> {
    return std::make_shared<CountingClock>(std::move(own), readings);
  };
  auto body = []() -> Task<std::vector<int64_t>> {
    std::vector<int64_t> seen;
    auto& loop = get_running_loop();
    seen.push_back(loop.time_ns());
    co_await sleep(0.01);
    seen.push_back(loop.time_ns());
    co_return seen;
  };
  const std::vector<int64_t> seen = TypeParam::run(body(), hooks);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1] - seen[0], 10'000'000);  // the sleep took at least its 10 ms
  // Both of the program's readings went through the hook, in order, among the loop's own.
  ASSERT_GE(readings->size(), 3u);
  auto first = std::find(readings->begin(), readings->end(), seen[0]);
  ASSERT_NE(first, readings->end());
  EXPECT_NE(std::find(first + 1, readings->end(), seen[1]), readings->end());
  EXPECT_TRUE(std::is_sorted(readings->begin(), readings->end()));
}

// Real world: a stand-in clock replaces CLOCK_MONOTONIC; the program sees its time and the
// loop's timers keep working on it. Simulated world: the clock is the virtual time, which a hook
// may observe but not change: a stand-in's first differing reading raises RuntimeError.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(std::shared_ptr<Clock> inner) : inner_(std::move(inner)) {}
  int64_t now_ns() override { return inner_->now_ns() + kShift; }
  static constexpr int64_t kShift = 1'000'000'000'000;  // 1000 s ahead

 private:
  std::shared_ptr<Clock> inner_;
};

TYPED_TEST(WorldHooksTest, ClockStandIn) {
  WorldHooks hooks;
  hooks.clock = [](std::shared_ptr<Clock> own) -> std::shared_ptr<Clock> {
    return std::make_shared<ShiftedClock>(std::move(own));
  };
  auto body = []() -> Task<int64_t> {
    co_await sleep(0.001);
    co_return get_running_loop().time_ns();
  };
  if constexpr (TypeParam::kSimulated) {
    try {
      TypeParam::run(body(), hooks);
      ADD_FAILURE() << "a stand-in clock changed the virtual time";
    } catch (const RuntimeError& e) {
      EXPECT_THAT(e.what(), HasSubstr("WorldHooks.clock read 1000000000000 ns where the "
                                      "simulated world's virtual time is 0 ns"));
    }
  } else {
    EXPECT_GE(TypeParam::run(body(), hooks), ShiftedClock::kShift);
  }
}

// The clock cannot change under a loop that has run (its timers were read from the old one),
// and a null clock is refused at once.
TYPED_TEST(WorldHooksTest, LateOrNullClockHooksAreRefused) {
  auto loop = TypeParam::make_loop();
  auto noop = []() -> Task<int> { co_return 1; };
  EXPECT_EQ(loop->run_until_complete(noop()), 1);
  WorldHooks late;
  late.clock = [](std::shared_ptr<Clock> own) { return own; };
  try {
    loop->set_world_hooks(late);
    ADD_FAILURE() << "a clock hook after the loop ran was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the clock cannot change once the loop has run"));
  }
  loop->close();

  auto fresh = TypeParam::make_loop();
  WorldHooks null_hook;
  null_hook.clock = [](std::shared_ptr<Clock>) -> std::shared_ptr<Clock> { return nullptr; };
  try {
    fresh->set_world_hooks(null_hook);
    ADD_FAILURE() << "a null clock from a hook was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("WorldHooks.clock returned null"));
  }
  fresh->close();
}


// ---- Child processes ----

// Counts spawns, forwards to the world's own processes.
class CountingProcesses final : public ProcessService {
 public:
  CountingProcesses(std::shared_ptr<ProcessService> inner, std::shared_ptr<Log> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  std::shared_ptr<ChildProcess> spawn(std::vector<std::string> argv,
                                      const SubprocessOptions& options) override {
    log_->push_back("spawn " + argv.at(0) + " " + argv.back());
    return inner_->spawn(std::move(argv), options);
  }

 private:
  std::shared_ptr<ProcessService> inner_;
  std::shared_ptr<Log> log_;
};

// A real child (the fake shell on the simulated loop) through the decorator: the program runs
// unchanged, the decorator saw the one spawn.
TYPED_TEST(WorldHooksTest, ProcessDecoratorSeesEverySpawn) {
  auto log = std::make_shared<Log>();
  WorldHooks hooks;
  hooks.processes = [log](std::shared_ptr<ProcessService> real)
      -> std::shared_ptr<ProcessService> {
    return std::make_shared<CountingProcesses>(std::move(real), log);
  };
  auto body = []() -> Task<Log> {
    SubprocessOptions options;
    options.stdout_mode = PIPE;
    auto spawn = create_subprocess_shell("echo hi; exit 4", options);
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return Log{out, std::to_string(proc->returncode().value_or(-1))};
  };
  Log out = TypeParam::run(body(), hooks);
  EXPECT_THAT(out, ElementsAre("hi\n", "4"));
  EXPECT_THAT(*log, ElementsAre("spawn /bin/sh echo hi; exit 4"));
}

// A child process whose output and exit code are a script, below asyncio, as a replayer's: its
// stdout gives fixed bytes then EOF, its stdin takes everything (recorded), and it exits with a
// fixed code on a ready entry of its own. Readiness is a loop callback, as from a world.
class ScriptedPipe final : public StreamSocket, public std::enable_shared_from_this<ScriptedPipe> {
 public:
  ScriptedPipe(Kind kind, uint64_t id, std::string output, std::shared_ptr<Log> written)
      : kind_(kind), id_(id), output_(std::move(output)), written_(std::move(written)) {}

  Kind kind() const override { return kind_; }
  uint64_t id() const override { return id_; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override {
    want_read_ = on;
    // A read pipe is always readable (bytes, then EOF); a write pipe never (no reader leaves).
    if (on && kind_ == Kind::kReadPipe && !scheduled_) {
      scheduled_ = true;
      get_running_loop().call_soon([self = shared_from_this()] {
        self->scheduled_ = false;
        if (self->events_ && self->want_read_) self->events_->on_readable();
        if (self->want_read_) self->want_read(true);  // level-triggered
      });
    }
  }
  void want_write(bool) override {}
  IoResult read(std::string& into) override {
    into = std::move(output_);
    output_.clear();
    return {.bytes = into.size()};
  }
  IoResult write(std::string_view data) override {
    written_->push_back((closed_ ? "stdin after close " : "stdin ") + std::string(data));
    return {.bytes = data.size()};
  }
  void shutdown_write() override {}
  void close(bool) override {
    if (kind_ == Kind::kWritePipe) written_->push_back("stdin closed");
    closed_ = true;
    events_ = nullptr;
    want_read_ = false;
  }
  SocketAddress local_address() const override { return {}; }
  SocketAddress peer_address() const override { return {}; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }

 private:
  Kind kind_;
  uint64_t id_;
  std::string output_;
  std::shared_ptr<Log> written_;
  Events* events_ = nullptr;
  bool want_read_ = false;
  bool scheduled_ = false;
  bool closed_ = false;
};

class ScriptedChild final : public ChildProcess, public std::enable_shared_from_this<ScriptedChild> {
 public:
  // Pipes where `options` asks for them.
  ScriptedChild(uint64_t id, const SubprocessOptions& options, std::string output, int returncode,
                std::shared_ptr<Log> written)
      : id_(id), returncode_(returncode), written_(written) {
    if (options.stdin_mode == PIPE) {
      stdin_ = std::make_shared<ScriptedPipe>(StreamSocket::Kind::kWritePipe, id, "", written);
    }
    if (options.stdout_mode == PIPE) {
      stdout_ = std::make_shared<ScriptedPipe>(StreamSocket::Kind::kReadPipe, id,
                                               std::move(output), written);
    }
  }
  int pid() const override { return 4242; }
  uint64_t id() const override { return id_; }
  std::shared_ptr<StreamSocket> pipe(int fd) const override {
    return fd == 0 ? stdin_ : fd == 1 ? stdout_ : nullptr;
  }
  void set_events(Events* events) override {
    events_ = events;
    if (!events || exited_) return;
    get_running_loop().call_soon([self = shared_from_this()] {
      self->exited_ = true;
      if (self->events_) self->events_->on_exited(self->returncode_);
    });
  }
  int send_signal(int sig) override {
    written_->push_back("signal " + std::to_string(sig));
    return exited_ ? ESRCH : 0;
  }

 private:
  uint64_t id_;
  int returncode_;
  std::shared_ptr<Log> written_;
  std::shared_ptr<StreamSocket> stdin_;
  std::shared_ptr<StreamSocket> stdout_;
  Events* events_ = nullptr;
  bool exited_ = false;
};

// Spawns nothing: every argv gets the scripted child.
class ScriptedProcesses final : public ProcessService {
 public:
  explicit ScriptedProcesses(std::shared_ptr<Log> written) : written_(std::move(written)) {}
  std::shared_ptr<ChildProcess> spawn(std::vector<std::string> argv,
                                      const SubprocessOptions& options) override {
    written_->push_back("spawn " + argv.at(0));
    return std::make_shared<ScriptedChild>(get_running_loop().next_resource_id(), options,
                                           "PONG\n", 7, written_);
  }

 private:
  std::shared_ptr<Log> written_;
};

// `written`: the scripted child's log. communicate() returns as soon as the child has exited and
// its output is read (wait() returns at once once the exit is known, as asyncio's); the stdin
// pipe's close and then the transport's connection_lost may still be ready entries then (under
// the random strategy; asyncio's order runs them first). Sleeps 10 ms at least once, until stdin
// is closed (10 s margin): a simulated timer fires only once nothing else is runnable, so both
// have run and the log is whole. The stand-in, unlike a world, is never told that the loop
// closes (no on_abandoned), so a transport left unfinished would also leak.
Task<Log> ping_through_a_child(std::shared_ptr<Log> written) {
  SubprocessOptions options;
  options.stdin_mode = PIPE;
  options.stdout_mode = PIPE;
  std::vector<std::string> argv = {"redis-cli-nowhere", "PING"};
  auto spawn = create_subprocess_exec(argv, options);
  auto proc = co_await std::move(spawn);
  std::string input = "PING\n";
  auto [out, err] = co_await proc->communicate(input);
  for (int i = 0; i == 0 || (i < 1000 && written->back() != "stdin closed"); ++i) {
    co_await sleep(0.01);
  }
  co_return Log{std::to_string(proc->pid()), out, err,
                std::to_string(proc->returncode().value_or(-1))};
}

// The stand-in replaces the world's processes: there is no "redis-cli-nowhere" in either world,
// yet create_subprocess_exec + communicate run unchanged over the script.
//
// The scripted child exits at once and never reads its stdin. In asyncio's order communicate()
// writes "PING\n" before the transport has heard of the exit and of stdout's end. Under another
// schedule its writer's first step comes after both: SubprocessStreamProtocol then closes the
// transport (asyncio's _maybe_close_transport: exited, every output pipe closed), which closes
// stdin, and the write goes to a closing pipe transport, which drops it as asyncio's does (the
// child is gone; a real one's stdin closes the same way when its reader exits first, through
// the write pipe's reader-gone event). communicate() still returns the output and the code.
// What holds under every schedule: the output, the code, stdin closed last, and no byte handed
// to the stdin pipe after its close.
Log expected_stdin(bool delivered) {
  if (delivered) return {"spawn redis-cli-nowhere", "stdin PING\n", "stdin closed"};
  return {"spawn redis-cli-nowhere", "stdin closed"};
}

TYPED_TEST(WorldHooksTest, StandInReplacesTheProcesses) {
  auto written = std::make_shared<Log>();
  WorldHooks hooks;
  hooks.processes = [written](std::shared_ptr<ProcessService>)
      -> std::shared_ptr<ProcessService> {
    return std::make_shared<ScriptedProcesses>(written);
  };
  Log out = TypeParam::run(ping_through_a_child(written), hooks);
  EXPECT_THAT(out, ElementsAre("4242", "PONG\n", "", "7"));
  bool fifo = true;
  if constexpr (TypeParam::kSimulated) fifo = TypeParam::kStrategy == sim::Strategy::kFifo;
  if (fifo) {
    EXPECT_EQ(*written, expected_stdin(true));
  } else {
    EXPECT_TRUE(*written == expected_stdin(true) || *written == expected_stdin(false))
        << ::testing::PrintToString(*written);
  }
}

// The same over many random schedules: both outcomes happen, and nothing else does.
TEST(WorldHooksOrderTest, CommunicateOverAScriptedChildUnderEverySchedule) {
  int delivered = 0;
  int dropped = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const std::string where = "seed " + std::to_string(seed);
    auto written = std::make_shared<Log>();
    sim::SimConfig config;
    config.seed = seed;
    config.strategy = sim::Strategy::kRandom;
    config.world.processes = [written](std::shared_ptr<ProcessService>)
        -> std::shared_ptr<ProcessService> {
      return std::make_shared<ScriptedProcesses>(written);
    };
    auto result = sim::run(ping_through_a_child(written), config);
    ASSERT_TRUE(result.ok()) << where;
    EXPECT_THAT(result.value(), ElementsAre("4242", "PONG\n", "", "7")) << where;
    if (*written == expected_stdin(true)) {
      ++delivered;
    } else {
      EXPECT_EQ(*written, expected_stdin(false)) << where;
      ++dropped;
    }
  }
  EXPECT_GT(delivered, 0);
  EXPECT_GT(dropped, 0);
}

// The scripted child exits before its pipes are connected: runtime/io's transport holds the exit
// back until connection_made, runs connection_made before the spawner wakes, connection_lost
// last (after process_exited and the pipe's loss), and so under every schedule the random
// strategy draws. wait() returns the code.
class OrderRecorder final : public SubprocessProtocol {
 public:
  void connection_made(std::shared_ptr<SubprocessTransport>) override { events.push_back("made"); }
  void pipe_data_received(int fd, std::string data) override {
    events.push_back("data " + std::to_string(fd) + " " + data);
  }
  void pipe_connection_lost(int fd, std::exception_ptr) override {
    events.push_back("pipe lost " + std::to_string(fd));
  }
  void process_exited() override { events.push_back("exited"); }
  void connection_lost(std::exception_ptr) override {
    events.push_back("lost");
    lost.set_result();
  }
  std::vector<std::string> events;
  Future<void> lost;
};

TEST(WorldHooksOrderTest, ProtocolOrderOverAScriptedChildUnderEverySchedule) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    for (auto strategy : {sim::Strategy::kFifo, sim::Strategy::kRandom}) {
      const std::string where =
          "seed " + std::to_string(seed) + " " + sim::strategy_name(strategy);
      auto written = std::make_shared<Log>();
      sim::SimConfig config;
      config.seed = seed;
      config.strategy = strategy;
      config.world.processes = [written](std::shared_ptr<ProcessService>)
          -> std::shared_ptr<ProcessService> {
        return std::make_shared<ScriptedProcesses>(written);
      };
      auto body = []() -> Task<Log> {
        SubprocessOptions options;
        options.stdout_mode = PIPE;
        auto spawn = subprocess_exec([] { return std::make_shared<OrderRecorder>(); },
                                     std::vector<std::string>{"x"}, options);
        auto [transport, protocol] = co_await std::move(spawn);
        Log seen = {"on return: " + protocol->events.at(0)};
        co_await protocol->lost;
        auto base = std::static_pointer_cast<io_internal::BaseSubprocessTransport>(transport);
        Task<int> waiting = base->wait();
        const int rc = co_await std::move(waiting);
        seen.push_back("wait " + std::to_string(rc));
        for (auto& e : protocol->events) seen.push_back(e);
        co_return seen;
      };
      auto result = sim::run(body(), config);
      if (!result.ok()) {
        try {
          std::rethrow_exception(result.error());
        } catch (const std::exception& e) {
          ADD_FAILURE() << where << ": " << e.what();
        } catch (...) {
          ADD_FAILURE() << where << ": not a std::exception";
        }
        continue;
      }
      Log got = result.value();
      ASSERT_EQ(got.size(), 7u) << where << ::testing::PrintToString(got);
      EXPECT_EQ(got[0], "on return: made") << where;
      EXPECT_EQ(got[1], "wait 7") << where;
      EXPECT_EQ(got[2], "made") << where;
      EXPECT_EQ(got[6], "lost") << where;
      // The exit and the pipe's bytes race (as a real child's pidfd and pipe do); the pipe's
      // own events keep their order.
      Log middle(got.begin() + 3, got.begin() + 6);
      auto data = std::find(middle.begin(), middle.end(), "data 1 PONG\n");
      auto pipe_lost = std::find(middle.begin(), middle.end(), "pipe lost 1");
      EXPECT_LT(data - middle.begin(), pipe_lost - middle.begin()) << where;
      EXPECT_THAT(middle, ::testing::UnorderedElementsAre("data 1 PONG\n", "pipe lost 1",
                                                          "exited"))
          << where;
    }
  }
}

// A child's stdin as a world might hand it over when the child is already gone: every write
// fails with EPIPE. Logs its close.
class GonePipe final : public StreamSocket {
 public:
  GonePipe(uint64_t id, std::shared_ptr<Log> log) : id_(id), log_(std::move(log)) {}
  Kind kind() const override { return Kind::kWritePipe; }
  uint64_t id() const override { return id_; }
  void set_events(Events*) override {}
  void want_read(bool) override {}
  void want_write(bool) override {}
  IoResult read(std::string&) override { return {.err = EAGAIN}; }
  IoResult write(std::string_view) override { return {.err = EPIPE}; }
  void shutdown_write() override {}
  void close(bool) override { log_->push_back("socket closed"); }
  SocketAddress local_address() const override { return {}; }
  SocketAddress peer_address() const override { return {}; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }

 private:
  uint64_t id_;
  std::shared_ptr<Log> log_;
};

class LossRecorder final : public Protocol {
 public:
  explicit LossRecorder(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  void connection_made(std::shared_ptr<Transport>) override { log_->push_back("made"); }
  void connection_lost(std::exception_ptr exc) override {
    std::string what = "null";
    if (exc) {
      try {
        std::rethrow_exception(exc);
      } catch (const BrokenPipeError&) {
        what = "BrokenPipeError";
      } catch (...) {
        what = "other";
      }
    }
    log_->push_back("lost " + what);
    lost.set_result();
  }
  Future<void> lost;

 private:
  std::shared_ptr<Log> log_;
};

// A pipe transport lost before its connection_made entry has run: a write that fails at once
// (`fail_write`), or close(). asyncio queued connection_made first, so the protocol hears it, then
// connection_lost; the socket is closed last. Returns the log, or ends with "timeout" when
// connection_lost never came.
Task<Log> lose_a_pipe_before_connection_made(bool fail_write) {
  EventLoop& loop = get_running_loop();
  auto log = std::make_shared<Log>();
  auto socket = std::make_shared<GonePipe>(loop.next_resource_id(), log);
  auto protocol = std::make_shared<LossRecorder>(log);
  auto transport = std::make_shared<io_internal::StreamTransport>(loop, socket, protocol);
  transport->start();
  if (fail_write) {
    transport->write("PING\n");
  } else {
    transport->close();
  }
  log->push_back(transport->is_closing() ? "closing" : "open");
  Task<void> bounded = wait_for(protocol->lost, 60.0);
  try {
    co_await std::move(bounded);
  } catch (const TimeoutError&) {
    log->push_back("timeout");
  }
  co_return *log;
}

template <class W>
class PipeLostBeforeMadeTest : public ::testing::Test {};
TYPED_TEST_SUITE(PipeLostBeforeMadeTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(PipeLostBeforeMadeTest, AFailedWriteReachesTheProtocolAfterConnectionMade) {
  EXPECT_THAT(TypeParam::run(lose_a_pipe_before_connection_made(true)),
              ElementsAre("closing", "made", "lost BrokenPipeError", "socket closed"));
}

TYPED_TEST(PipeLostBeforeMadeTest, CloseReachesTheProtocolAfterConnectionMade) {
  EXPECT_THAT(TypeParam::run(lose_a_pipe_before_connection_made(false)),
              ElementsAre("closing", "made", "lost null", "socket closed"));
}

// The same under many schedules: the random strategy runs the loss's entry before the
// connection_made entry about half the time (that schedule used to drop both callbacks).
TEST(PipeLostBeforeMadeSeedsTest, MadeThenLostUnderEverySchedule) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    for (bool fail_write : {true, false}) {
      const std::string where = "seed " + std::to_string(seed) +
                                (fail_write ? " failed write" : " close");
      sim::SimConfig config;
      config.seed = seed;
      config.strategy = sim::Strategy::kRandom;
      auto result = sim::run(lose_a_pipe_before_connection_made(fail_write), config);
      ASSERT_TRUE(result.ok()) << where;
      EXPECT_THAT(result.value(),
                  ElementsAre("closing", "made", fail_write ? "lost BrokenPipeError" : "lost null",
                              "socket closed"))
          << where;
    }
  }
}

}  // namespace
}  // namespace weft
