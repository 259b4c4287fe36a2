// wait, as_completed, shield: asyncio semantics on both loops.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class WaitTest : public ::testing::Test {};
TYPED_TEST_SUITE(WaitTest, testing::Worlds, testing::WorldNames);
// The tests of WaitFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class WaitFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(WaitFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;

Task<int> after(double delay, int v) {
  co_await sleep(delay);
  co_return v;
}
Task<int> fail_after(double delay) {
  co_await sleep(delay);
  throw ValueError("failed");
}
// Done in its first step. Created before a timeout is armed, it is done before that timeout's
// callback runs, however late the real loop gets there: a loop iteration runs the steps that
// were ready before the timers that fell due (a 1 ms sleep against a 5 ms timeout was not).
Task<int> at_once(int v) { co_return v; }
// Finishes `delay` after `prev`: completion order by construction, not by comparing two delays
// that a busy machine can reorder.
Task<int> after_task(TaskHandle<int> prev, double delay, int v) {
  co_await prev;
  co_await sleep(delay);
  co_return v;
}

std::vector<int> values(std::vector<TaskHandle<int>>& hs) {
  std::vector<int> out;
  for (auto& h : hs) out.push_back(h.cancelled() ? -1 : h.exception() ? -2 : h.result());
  return out;
}

TYPED_TEST(WaitTest, AllCompleted) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<TaskHandle<int>> ts{create_task(after(0.002, 2)), create_task(after(0.001, 1))};
    auto [done, pending] = co_await wait(ts);
    EXPECT_TRUE(pending.empty());
    co_return values(done);
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{2, 1}));
}

TYPED_TEST(WaitTest, FirstCompletedLeavesOthersRunning) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<TaskHandle<int>> ts{create_task(after(30, 2)), create_task(after(0.001, 1))};
    auto r = co_await wait(ts, std::nullopt, FIRST_COMPLETED);
    std::vector<int> out = values(r.done);
    out.push_back(static_cast<int>(r.pending.size()));
    out.push_back(r.pending[0].done() ? 1 : 0);
    for (auto& p : r.pending) p.cancel();
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 1, 0}));
}

TYPED_TEST(WaitTest, FirstException) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<TaskHandle<int>> ts{create_task(after(0.001, 1)), create_task(fail_after(0.002)),
                                    create_task(after(30, 3))};
    auto r = co_await wait(ts, std::nullopt, FIRST_EXCEPTION);
    std::vector<int> out = values(r.done);
    out.push_back(static_cast<int>(r.pending.size()));
    for (auto& p : r.pending) p.cancel();
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, -2, 1}));
}

TYPED_TEST(WaitTest, TimeoutReturnsPendingWithoutCancelling) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<TaskHandle<int>> ts{create_task(at_once(1)), create_task(after(10, 2))};
    auto r = co_await wait(ts, 0.005);
    std::vector<int> out = values(r.done);
    out.push_back(static_cast<int>(r.pending.size()));
    out.push_back(r.pending[0].cancelled() ? 1 : 0);
    r.pending[0].cancel();
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 1, 0}));
}

TYPED_TEST(WaitTest, EmptyRaisesValueError) {
  auto body = []() -> Task<bool> {
    try {
      co_await wait(std::vector<TaskHandle<int>>{});
    } catch (const ValueError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

TYPED_TEST(WaitTest, AsCompletedYieldsInCompletionOrder) {
  auto body = []() -> Task<std::vector<int>> {
    // Completes 1, 2, 3 at 1, 2, 3 ms (virtual time on the simulated loop), each after the one
    // before it; handed to as_completed as 3, 1, 2.
    auto t1 = create_task(after(0.001, 1));
    auto t2 = create_task(after_task(t1, 0.001, 2));
    auto t3 = create_task(after_task(t2, 0.001, 3));
    std::vector<TaskHandle<int>> ts{t3, t1, t2};
    std::vector<int> out;
    auto it = as_completed(ts);
    while (auto t = co_await it.next()) out.push_back(co_await *t);
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(WaitTest, AsCompletedTimeoutRaisesTimeoutError) {
  auto body = []() -> Task<Log> {
    Log log;
    std::vector<TaskHandle<int>> ts{create_task(at_once(1)), create_task(after(10, 2))};
    auto it = as_completed(ts, 0.005);
    try {
      while (auto t = co_await it.next()) log.push_back(std::to_string(co_await *t));
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    ts[1].cancel();
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"1", "TimeoutError"}));
}

TYPED_TEST(WaitFifoTest, ShieldKeepsInnerRunningWhenOuterCancelled) {
  auto body = []() -> Task<Log> {
    Log log;
    auto inner = create_task(after(0.002, 42));
    auto waiter = create_task([](TaskHandle<int> i, Log& l) -> Task<void> {
      try {
        co_await shield(i);
      } catch (const CancelledError&) {
        l.push_back("waiter cancelled");
      }
    }(inner, log));
    co_await sleep(0);
    waiter.cancel();
    co_await waiter;
    log.push_back(inner.cancelled() ? "inner cancelled" : "inner alive");
    log.push_back("inner = " + std::to_string(co_await inner));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"waiter cancelled", "inner alive", "inner = 42"}));
}

TYPED_TEST(WaitTest, ShieldPassesResultAndException) {
  auto body = []() -> Task<Log> {
    Log log;
    log.push_back(std::to_string(co_await shield(after(0.001, 5))));
    try {
      co_await shield(fail_after(0.001));
    } catch (const ValueError&) {
      log.push_back("ValueError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"5", "ValueError"}));
}

}  // namespace
}  // namespace weft
