// Future<T>: asyncio.Future semantics on both loops.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class FutureTest : public ::testing::Test {};
TYPED_TEST_SUITE(FutureTest, testing::Worlds, testing::WorldNames);
// The tests of FutureFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class FutureFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(FutureFifoTest, testing::FifoWorlds, testing::WorldNames);

TYPED_TEST(FutureTest, ResultOfPendingFutureRaisesInvalidState) {
  auto body = []() -> Task<bool> {
    Future<int> f;
    EXPECT_FALSE(f.done());
    try {
      f.result();
    } catch (const InvalidStateError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

TYPED_TEST(FutureTest, SetResultTwiceRaisesInvalidState) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    Future<int> f;
    f.set_result(1);
    try {
      f.set_result(2);
    } catch (const InvalidStateError&) {
      log.push_back("set_result: InvalidStateError");
    }
    try {
      f.set_exception(ValueError("x"));
    } catch (const InvalidStateError&) {
      log.push_back("set_exception: InvalidStateError");
    }
    log.push_back("result " + std::to_string(f.result()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"set_result: InvalidStateError",
                                      "set_exception: InvalidStateError", "result 1"}));
}

TYPED_TEST(FutureTest, SetResultOnCancelledFutureRaisesInvalidState) {
  auto body = []() -> Task<bool> {
    Future<int> f;
    EXPECT_TRUE(f.cancel());
    EXPECT_FALSE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    try {
      f.set_result(1);
    } catch (const InvalidStateError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

TYPED_TEST(FutureTest, ExceptionAndResultOfFailedFuture) {
  auto body = []() -> Task<std::string> {
    Future<int> f;
    f.set_exception(ValueError("boom"));
    EXPECT_TRUE(f.done());
    std::exception_ptr e = f.exception();
    try {
      f.result();
    } catch (const ValueError& v) {
      co_return std::string(v.what()) + (e ? " +exception" : "");
    }
    co_return "no throw";
  };
  EXPECT_EQ(TypeParam::run(body()), "boom +exception");
}

TYPED_TEST(FutureTest, CancelledFutureRaisesCancelledErrorWithMessage) {
  auto body = []() -> Task<std::string> {
    Future<int> f;
    f.cancel("why");
    try {
      f.result();
    } catch (const CancelledError& c) {
      co_return c.message();
    }
    co_return "no throw";
  };
  EXPECT_EQ(TypeParam::run(body()), "why");
}

TYPED_TEST(FutureTest, AwaitingSuspendsUntilSetResult) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    Future<std::string> f;
    get_running_loop().call_soon([&] {
      log.push_back("setter");
      f.set_result("value");
    });
    log.push_back("awaiting");
    std::string v = co_await f;
    log.push_back("got " + v);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"awaiting", "setter", "got value"}));
}

TYPED_TEST(FutureFifoTest, DoneCallbacksAreScheduledInOrderWithCallSoon) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    Future<int> f;
    f.add_done_callback([&](Future<int> g) { log.push_back("cb1 " + std::to_string(g.result())); });
    f.add_done_callback([&](Future<int>) { log.push_back("cb2"); });
    f.set_result(5);
    log.push_back("after set_result");  // callbacks have not run yet: they are scheduled
    co_await sleep(0);
    f.add_done_callback([&](Future<int>) { log.push_back("cb3 (added when done)"); });
    log.push_back("added cb3");
    co_await sleep(0);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"after set_result", "cb1 5", "cb2", "added cb3",
                                      "cb3 (added when done)"}));
}

TYPED_TEST(FutureFifoTest, CancelSchedulesCallbacksAndWakesAwaiterWithCancelledError) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    Future<int> f;
    f.add_done_callback([&](Future<int> g) {
      log.push_back(g.cancelled() ? "cb cancelled" : "cb done");
    });
    auto waiter = create_task([](Future<int> fut, std::vector<std::string>& l) -> Task<void> {
      try {
        co_await fut;
      } catch (const CancelledError&) {
        l.push_back("waiter CancelledError");
      }
    }(f, log));
    co_await sleep(0);
    f.cancel();
    co_await waiter;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"cb cancelled", "waiter CancelledError"}));
}

TYPED_TEST(FutureTest, ManyAwaitersAllGetTheValue) {
  auto body = []() -> Task<int> {
    Future<int> f;
    std::vector<TaskHandle<int>> waiters;
    for (int i = 0; i < 5; ++i) {
      waiters.push_back(create_task([](Future<int> g, int k) -> Task<int> {
        co_return co_await g + k;
      }(f, i)));
    }
    co_await sleep(0);
    f.set_result(10);
    int sum = 0;
    for (auto& w : waiters) sum += co_await w;
    co_return sum;
  };
  EXPECT_EQ(TypeParam::run(body()), 60);
}

TYPED_TEST(FutureTest, VoidFuture) {
  auto body = []() -> Task<bool> {
    Future<void> f;
    get_running_loop().call_soon([f]() mutable { f.set_result(); });
    co_await f;
    co_return f.done() && !f.cancelled();
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

TYPED_TEST(FutureTest, FutureOutsideLoopNeedsARunningLoop) {
  EXPECT_THROW(Future<int>(), RuntimeError);
}

}  // namespace
}  // namespace weft
