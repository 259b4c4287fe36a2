// gather: asyncio.gather semantics on both loops.
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class GatherTest : public ::testing::Test {};
TYPED_TEST_SUITE(GatherTest, testing::Worlds, testing::WorldNames);
// The tests of GatherFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class GatherFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(GatherFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;

Task<int> after(double delay, int v) {
  co_await sleep(delay);
  co_return v;
}
Task<int> fail_after(double delay, const char* msg) {
  co_await sleep(delay);
  throw ValueError(msg);
}

TYPED_TEST(GatherTest, VariadicResultsInArgumentOrder) {
  auto body = []() -> Task<std::tuple<int, std::string, std::monostate>> {
    auto s = []() -> Task<std::string> {
      co_await sleep(0.001);
      co_return "s";
    };
    auto v = []() -> Task<void> { co_await sleep(0); };
    co_return co_await gather(after(0.003, 1), s(), v());
  };
  auto [a, b, c] = TypeParam::run(body());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, "s");
  (void)c;
}

TYPED_TEST(GatherFifoTest, ChildrenRunConcurrently) {
  auto body = []() -> Task<Log> {
    Log log;
    auto step = [](Log& l, std::string name) -> Task<void> {
      l.push_back(name + " 1");
      co_await sleep(0);
      l.push_back(name + " 2");
    };
    co_await gather(step(log, "a"), step(log, "b"));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"a 1", "b 1", "a 2", "b 2"}));
}

TYPED_TEST(GatherTest, RangeFormReturnsVector) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(after(0.001 * (5 - i), i * 10));
    co_return co_await gather(std::move(tasks));
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{0, 10, 20, 30, 40}));
}

TYPED_TEST(GatherTest, EmptyRangeCompletesWithEmptyVector) {
  auto body = []() -> Task<size_t> {
    std::vector<Task<int>> none;
    auto r = co_await gather(std::move(none));
    co_return r.size();
  };
  EXPECT_EQ(TypeParam::run(body()), 0u);
}

TYPED_TEST(GatherTest, FirstExceptionPropagatesOthersKeepRunning) {
  auto body = []() -> Task<Log> {
    Log log;
    // `slow` ends only when released after the check, not on a 5 ms timer that a busy machine
    // lets fire before gather has raised.
    Future<void> release;
    auto slow = create_task([](Future<void> go) -> Task<int> {
      co_await go;
      co_return 5;
    }(release));
    try {
      co_await gather(fail_after(0.001, "first"), slow, fail_after(0.002, "second"));
    } catch (const ValueError& e) {
      log.push_back(std::string("caught ") + e.what());
    }
    log.push_back(slow.done() ? "slow done" : "slow still running");
    release.set_result();
    log.push_back("slow = " + std::to_string(co_await slow));
    co_await sleep(0.01);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"caught first", "slow still running", "slow = 5"}));
}

TYPED_TEST(GatherTest, ReturnExceptionsCollectsOutcomes) {
  auto body = []() -> Task<Log> {
    Log log;
    auto cancelled = create_task(after(10, 0));
    cancelled.cancel();
    auto [a, b, c] =
        co_await gather(return_exceptions, after(0.001, 1), fail_after(0.002, "bad"), cancelled);
    log.push_back(a.ok() ? "a=" + std::to_string(a.value()) : "a failed");
    log.push_back(b.ok() ? "b ok" : "b: " + describe_exception(b.exception()));
    log.push_back(c.cancelled() ? "c cancelled" : "c ?");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"a=1", "b: weft::ValueError: bad", "c cancelled"}));
}

TYPED_TEST(GatherFifoTest, CancellingGatherCancelsChildren) {
  auto body = []() -> Task<Log> {
    Log log;
    auto child = [](Log& l, std::string name) -> Task<int> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        l.push_back(name + " cancelled");
        throw;
      }
      co_return 0;
    };
    auto g = gather(child(log, "a"), child(log, "b"));
    co_await sleep(0);
    EXPECT_TRUE(g.cancel());
    try {
      co_await g;
    } catch (const CancelledError&) {
      log.push_back("gather raised CancelledError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"a cancelled", "b cancelled", "gather raised CancelledError"}));
}

TYPED_TEST(GatherTest, CancellingTheAwaitingTaskCancelsChildren) {
  auto body = []() -> Task<Log> {
    Log log;
    auto child = [](Log& l) -> Task<int> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        l.push_back("child cancelled");
        throw;
      }
      co_return 0;
    };
    auto parent = create_task([](Log& l, auto make) -> Task<void> {
      co_await gather(make(l), make(l));
    }(log, child));
    co_await sleep(0.001);
    parent.cancel();
    try {
      co_await parent;
    } catch (const CancelledError&) {
      log.push_back("parent cancelled");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"child cancelled", "child cancelled", "parent cancelled"}));
}

TYPED_TEST(GatherTest, ChildCancelledWithoutReturnExceptionsRaisesCancelledError) {
  auto body = []() -> Task<std::string> {
    auto a = create_task(after(10, 1));
    auto g = gather(a, after(0.001, 2));
    co_await sleep(0);
    a.cancel();
    try {
      co_await g;
    } catch (const CancelledError&) {
      co_return "CancelledError";
    }
    co_return "no error";
  };
  EXPECT_EQ(TypeParam::run(body()), "CancelledError");
}

}  // namespace
}  // namespace weft
