// Several hosts: examples/echo unchanged with its server on one host and clients on others,
// tasks of a server's handlers joining the server's task group (so killing a node kills them),
// and a crash of the server's host resetting every client.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/echo/echo.h"
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

TEST(SimHostsTest, EchoExampleWithServerAndClientsOnDifferentHosts) {
  auto main = []() -> Task<std::vector<std::string>> {
    Network& nw = net();
    const HostId server_host = nw.add_host("echo-server");
    std::vector<HostId> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(nw.add_host(absl::StrCat("client-", i)));
    auto listening = spawn_on(server_host, examples::echo_server("", 7));
    auto server = co_await std::move(listening);
    std::vector<Task<std::vector<std::string>>> runs;
    for (int i = 0; i < 3; ++i) {
      auto client = [](int i) -> Task<std::vector<std::string>> {
        std::vector<std::string> lines = {absl::StrCat("hello from ", i), "second line", "bye"};
        auto echoed = examples::echo_client("echo-server", 7, lines);
        co_return co_await std::move(echoed);
      };
      auto handle = spawn_on(clients[i], client(i));
      auto wait = [](TaskHandle<std::vector<std::string>> h) -> Task<std::vector<std::string>> {
        co_return co_await std::move(h);
      };
      runs.push_back(wait(std::move(handle)));
    }
    auto all = gather(std::move(runs));
    auto results = co_await std::move(all);
    std::vector<std::string> flat;
    for (auto& r : results) {
      for (auto& line : r) flat.push_back(line);
    }
    server->close();
    co_await server->wait_closed();
    co_return flat;
  };
  expect_everywhere(main, std::vector<std::string>{"hello from 0", "second line", "bye",
                                                   "hello from 1", "second line", "bye",
                                                   "hello from 2", "second line", "bye"});
}

TEST(SimHostsTest, HandlerTasksOfANodesServerJoinItsGroup) {
  auto main = []() -> Task<std::vector<std::string>> {
    SimLoop& loop = current_loop();
    Network& nw = net();
    const HostId node = nw.add_host("node");
    const uint16_t group = loop.new_group();
    nw.assign_group(group, node);
    auto groups = std::make_shared<std::vector<uint16_t>>();
    auto listen = [groups]() -> Task<std::shared_ptr<Server>> {
      ClientConnectedCallback cb = [groups](Reader r, Writer w) -> Task<void> {
        groups->push_back(get_running_loop().current_group());
        co_await r->read();
        w->close();
      };
      auto start = start_server(cb, "", 9);
      co_return co_await std::move(start);
    };
    auto task = loop.create_task(listen());
    task.core()->set_group(group);
    auto server = co_await std::move(task);
    auto connect = open_connection("node", 9);
    auto [reader, writer] = co_await std::move(connect);
    while (groups->empty()) co_await sleep(0.001);
    std::vector<std::string> got;
    got.push_back(groups->at(0) == group ? "handler in the node's group" : "handler elsewhere");
    // Killing the node: crash its host, then kill its tasks. The client sees a reset.
    nw.crash_host(node);
    const size_t killed = loop.kill_group(group);
    got.push_back(absl::StrCat("killed ", killed));
    try {
      co_await reader->read();
      got.push_back("no reset");
    } catch (const ConnectionResetError&) {
      got.push_back("client reset");
    }
    writer->close();
    co_return got;
  };
  expect_everywhere(main, std::vector<std::string>{"handler in the node's group", "killed 1",
                                                   "client reset"});
}

TEST(SimHostsTest, CrashingTheServerHostResetsEveryClientAndLeaksNothing) {
  auto main = []() -> Task<std::vector<std::string>> {
    SimLoop& loop = current_loop();
    Network& nw = net();
    const HostId node = nw.add_host("kv");
    const uint16_t group = loop.new_group();
    nw.assign_group(group, node);
    auto serve = []() -> Task<void> {
      auto start = examples::echo_server("", 7);
      auto server = co_await std::move(start);
      co_await server->serve_forever();
    };
    auto node_main = loop.create_task(serve());
    node_main.core()->set_group(group);
    co_await sleep(0.01);
    std::vector<std::shared_ptr<StreamReader>> readers;
    std::vector<std::shared_ptr<StreamWriter>> writers;
    for (int i = 0; i < 5; ++i) {
      auto connect = open_connection("kv", 7);
      auto [r, w] = co_await std::move(connect);
      w->write("x\n");
      co_await r->readline();
      readers.push_back(r);
      writers.push_back(w);
    }
    nw.crash_host(node);
    loop.kill_group(group);
    int resets = 0;
    for (auto& r : readers) {
      try {
        co_await r->read();
      } catch (const ConnectionResetError&) {
        ++resets;
      }
    }
    for (auto& w : writers) w->close();
    co_await sleep(0.01);
    co_return std::vector<std::string>{absl::StrCat(resets, " resets"),
                                       absl::StrCat(nw.open_connections(), " open")};
  };
  expect_everywhere(main, std::vector<std::string>{"5 resets", "0 open"});
}

}  // namespace
}  // namespace weft::sim
