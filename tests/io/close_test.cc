// EventLoop::close() with connections still held by pending tasks: the loop releases every fd,
// transport and protocol it drops. Both worlds; the real one also counts open fds.
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/io/subprocess.h"
#include "runtime/weft.h"
#include "sim/proc/basic_programs.h"
#include "tests/io/fd_check.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

template <class W>
class CloseTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(CloseTest, testing::Worlds, testing::WorldNames);

struct Probe {
  int connected = 0;
  int handlers = 0;
  std::vector<std::weak_ptr<WriteTransport>> transports;
  std::vector<std::weak_ptr<DatagramTransport>> endpoints;
};

Task<void> serve_lines(Probe& p, Reader reader, Writer writer) {
  ++p.handlers;
  p.transports.push_back(writer->transport());
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    writer->write(line);
  }
}

Task<void> client(Probe& p, int port) {
  auto connect = open_connection("127.0.0.1", port);
  auto [reader, writer] = co_await std::move(connect);
  p.transports.push_back(writer->transport());
  ++p.connected;
  std::string line = co_await reader->readline();  // never answered
}

Task<void> leave_connections_pending(Probe& p, int n) {
  ClientConnectedCallback cb = [&p](Reader r, Writer w) { return serve_lines(p, r, w); };
  auto start = start_server(cb, "127.0.0.1", 0);
  std::shared_ptr<Server> server = co_await std::move(start);
  const int port = server->sockets().at(0).port;
  for (int i = 0; i < n; ++i) create_task(client(p, port));
  while (p.connected < n || p.handlers < n) co_await sleep(0.001);
}

// A datagram protocol that keeps its transport (a transport<->protocol cycle, as a stream's).
struct KeepingDatagramProtocol : DatagramProtocol {
  std::shared_ptr<DatagramTransport> transport;
  void connection_made(std::shared_ptr<DatagramTransport> t) override { transport = t; }
  void connection_lost(std::exception_ptr) override { transport = nullptr; }
};

// Leaves a serving server (a task in serve_forever), `n` connected clients and their handlers
// blocked in readline, and a UDP endpoint, all held by pending tasks.
Task<void> leave_everything_pending(Probe& p, int n) {
  ClientConnectedCallback cb = [&p](Reader r, Writer w) { return serve_lines(p, r, w); };
  auto start = start_server(cb, "127.0.0.1", 0);
  std::shared_ptr<Server> server = co_await std::move(start);
  const int port = server->sockets().at(0).port;
  create_task([](std::shared_ptr<Server> s) -> Task<void> { co_await s->serve_forever(); }(server));
  for (int i = 0; i < n; ++i) create_task(client(p, port));
  DatagramOptions udp;
  udp.local_addr = std::make_pair(std::string("127.0.0.1"), 0);
  auto open = create_datagram_endpoint([] { return std::make_shared<KeepingDatagramProtocol>(); },
                                       udp);
  auto [endpoint, protocol] = co_await std::move(open);
  p.endpoints.push_back(endpoint);
  create_task([](std::shared_ptr<DatagramTransport> e) -> Task<void> {
    co_await sleep(3600);
  }(endpoint));
  while (p.connected < n || p.handlers < n) co_await sleep(0.001);
}

TYPED_TEST(CloseTest, CloseReleasesConnectionsOfPendingTasks) {
  Probe p;
  {
    auto loop = TypeParam::make_loop();
    loop->run_until_complete(leave_connections_pending(p, 5));
    EXPECT_EQ(loop->all_tasks().size(), 10u);
    loop->close();
    for (auto& t : p.transports) EXPECT_TRUE(t.expired());
  }
  EXPECT_EQ(p.transports.size(), 10u);
}

TYPED_TEST(CloseTest, CloseReleasesServersEndpointsAndConnectionsOfPendingTasks) {
  Probe p;
  auto loop = TypeParam::make_loop();
  loop->run_until_complete(leave_everything_pending(p, 3));
  EXPECT_EQ(loop->all_tasks().size(), 8u);  // serve_forever, the endpoint's, 3 clients, 3 handlers
  loop->close();
  ASSERT_EQ(p.transports.size(), 6u);
  for (auto& t : p.transports) EXPECT_TRUE(t.expired());
  ASSERT_EQ(p.endpoints.size(), 1u);
  EXPECT_TRUE(p.endpoints[0].expired());
}

// The run functions: main returns with the connections still held by pending tasks (they are
// cancelled), or fails with them (they are destroyed unrun); every fd and transport is released.
TYPED_TEST(CloseTest, RunReleasesConnectionsOfTasksLeftPending) {
  Probe p;
  TypeParam::run(leave_everything_pending(p, 3));
  ASSERT_EQ(p.transports.size(), 6u);
  for (auto& t : p.transports) EXPECT_TRUE(t.expired());
  EXPECT_TRUE(p.endpoints.at(0).expired());
}

TYPED_TEST(CloseTest, FailingMainReleasesConnectionsOfTasksLeftPending) {
  Probe p;
  auto body = [](Probe& probe) -> Task<void> {
    Task<void> setup = leave_everything_pending(probe, 3);
    co_await std::move(setup);
    throw ValueError("main failed");
  };
  EXPECT_THROW(TypeParam::run(body(p)), ValueError);
  ASSERT_EQ(p.transports.size(), 6u);
  for (auto& t : p.transports) EXPECT_TRUE(t.expired());
  EXPECT_TRUE(p.endpoints.at(0).expired());
}

// A child whose pipes a pending task holds, blocked reading its stdout: close() kills and reaps
// it (no zombie), closes the pipes and frees the transport (the Process in the destroyed frame
// was its last user).
template <class W>
Task<void> leave_a_child_pending(std::shared_ptr<std::weak_ptr<Process>> seen) {
  if constexpr (W::kSimulated) sim::define_basic_programs(sim::current_loop().processes());
  SubprocessOptions pipes;
  pipes.stdin_mode = pipes.stdout_mode = Stdio::kPipe;
  auto spawn = create_subprocess_exec({"cat"}, pipes);
  std::shared_ptr<Process> proc = co_await std::move(spawn);
  *seen = proc;
  create_task([](std::shared_ptr<Process> p) -> Task<void> {
    std::string line = co_await p->stdout_stream()->readline();  // cat waits for stdin
  }(proc));
  co_await sleep(0.01);
}

TYPED_TEST(CloseTest, CloseReleasesAChildsPipesHeldByAPendingTask) {
  auto seen = std::make_shared<std::weak_ptr<Process>>();
  auto loop = TypeParam::make_loop();
  loop->run_until_complete(leave_a_child_pending<TypeParam>(seen));
  EXPECT_EQ(loop->all_tasks().size(), TypeParam::kSimulated ? 2u : 1u);  // + the fake cat
  loop->close();
  EXPECT_TRUE(seen->expired());
  if constexpr (!TypeParam::kSimulated) {
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }
}

}  // namespace
}  // namespace weft
