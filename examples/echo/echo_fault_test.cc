// The echo example under seeded random faults: connections reset and hosts clog at random, and
// the scheduler picks ready tasks at random. Every client either gets all its lines back or sees
// ConnectionResetError; none may hang. Clogs release a segment and the reset behind it at the
// same instant, so a reader woken by the data could find the error stored before it ran: the
// StreamReader used to lose that error and the client waited forever (a spurious DeadlockError
// on the seeds pinned below, 8 of the first 3,000).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/echo/echo.h"
#include "runtime/weft.h"
#include "sim/node.h"
#include "sim/run.h"

namespace weft::examples {
namespace {

constexpr int kClients = 4;
constexpr int kLines = 5;

std::vector<std::string> lines_of(int client) {
  std::vector<std::string> lines;
  for (int j = 0; j < kLines; ++j) lines.push_back(absl::StrCat("c", client, " line ", j));
  return lines;
}

// One client's outcome: its echoed lines, or "ConnectionResetError".
Task<std::vector<std::string>> session(int client) {
  try {
    auto echo = echo_client("server", 7, lines_of(client));
    co_return co_await std::move(echo);
  } catch (const ConnectionResetError&) {
  }
  co_return std::vector<std::string>{"ConnectionResetError"};
}

Task<std::vector<std::vector<std::string>>> echo_with_faults() {
  auto& net = sim::current_loop().network();
  net.config().faults.tcp_reset_probability = 0.1;
  net.config().faults.clog_probability = 0.1;
  // The server's failed handlers are reported to the exception handler; here they are expected.
  get_running_loop().set_exception_handler([](EventLoop&, const ExceptionContext&) {});
  sim::Node server("server", {"10.0.0.10"}, []() -> Task<void> {
    auto start = echo_server("", 7);
    auto srv = co_await std::move(start);
    co_await srv->serve_forever();
  });
  server.start();
  co_await sleep(0.01);
  std::vector<std::unique_ptr<sim::Node>> nodes;
  std::vector<TaskHandle<std::vector<std::string>>> sessions;
  for (int i = 0; i < kClients; ++i) {
    nodes.push_back(std::make_unique<sim::Node>(
        absl::StrCat("client", i), std::vector<std::string>{absl::StrCat("10.0.1.", i + 1)}));
    sessions.push_back(nodes.back()->spawn(session(i)));
  }
  std::vector<std::vector<std::string>> out;
  for (auto& s : sessions) out.push_back(co_await s);
  co_return out;
}

// Checks one seed; counts the sessions that completed and those that were reset.
void check_seed(uint64_t seed, int& completed, int& reset) {
  sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
  auto result = sim::run(echo_with_faults(), config);
  ASSERT_TRUE(result.ok()) << "seed " << seed << ": " << describe_exception(result.error());
  const auto& sessions = result.value();
  ASSERT_EQ(sessions.size(), static_cast<size_t>(kClients)) << "seed " << seed;
  for (int i = 0; i < kClients; ++i) {
    if (sessions[i] == std::vector<std::string>{"ConnectionResetError"}) {
      ++reset;
    } else {
      EXPECT_EQ(sessions[i], lines_of(i)) << "seed " << seed << " client " << i;
      ++completed;
    }
  }
}

TEST(EchoFaultTest, SeedsThatLostAResetAfterADataWakeupNowEndInTheReset) {
  int completed = 0, reset = 0;
  for (uint64_t seed : {181u, 780u, 1114u, 1666u, 1802u, 1838u, 2357u, 2981u}) {
    check_seed(seed, completed, reset);
  }
  EXPECT_GT(reset, 0);
}

TEST(EchoFaultTest, EveryClientFinishesOrSeesTheResetOnEverySeed) {
  int completed = 0, reset = 0;
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    check_seed(seed, completed, reset);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Both outcomes are common, so the sweep exercises the faults it is about: each is at least a
  // tenth of the 4000 sessions (measured: 987 completed, 3013 reset since a random pick leaves
  // the rest of the ready queue in order; both were above 1000 before).
  EXPECT_GT(completed, 400);
  EXPECT_GT(reset, 400);
}

}  // namespace
}  // namespace weft::examples
