// EventLoop: callbacks, timers, handles, run/stop/close, the running loop, task registry and the
// exception handler — on both loops.
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class LoopTest : public ::testing::Test {};
TYPED_TEST_SUITE(LoopTest, testing::Worlds, testing::WorldNames);
// The tests of LoopFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class LoopFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(LoopFifoTest, testing::FifoWorlds, testing::WorldNames);

TYPED_TEST(LoopFifoTest, CallSoonRunsInFifoOrderAfterCurrentStep) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<int> log;
    auto& loop = get_running_loop();
    for (int i = 0; i < 5; ++i) loop.call_soon([&log, i] { log.push_back(i); });
    log.push_back(-1);
    co_await sleep(0);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{-1, 0, 1, 2, 3, 4}));
}

TYPED_TEST(LoopFifoTest, CancelledHandleNeverRuns) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<int> log;
    auto& loop = get_running_loop();
    loop.call_soon([&] { log.push_back(1); });
    Handle h = loop.call_soon([&] { log.push_back(2); });
    loop.call_soon([&] { log.push_back(3); });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    TimerHandle t = loop.call_later(0.001, [&] { log.push_back(4); });
    t.cancel();
    co_await sleep(0.005);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 3}));
}

TYPED_TEST(LoopFifoTest, TimersFireInDeadlineOrderThenSchedulingOrder) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<int> log;
    auto& loop = get_running_loop();
    // Deadlines from one clock reading: the real loop can be preempted between two calls for
    // longer than 1 ms. call_later reads the clock again, later, so "3" can only move later.
    const double now = loop.time();
    loop.call_later(0.003, [&] { log.push_back(3); });
    loop.call_at(now + 0.001, [&] { log.push_back(1); });
    const double at = now + 0.002;
    loop.call_at(at, [&] { log.push_back(20); });
    loop.call_at(at, [&] { log.push_back(21); });
    co_await sleep(0.01);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 20, 21, 3}));
}

// asyncio keeps a past deadline as it is: call_later(-1, p); call_later(-2, q) runs q first. Due
// timers join the ready queue at the start of the next iteration, after the callbacks already
// there (r, and the yielding task's own step), so the exact order is r, main, q, p.
TYPED_TEST(LoopFifoTest, PastDeadlinesKeepDeadlineOrderAfterReadyCallbacks) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    auto& loop = get_running_loop();
    const double start = loop.time();
    TimerHandle p = loop.call_later(-1, [&] { log.push_back("p"); });
    TimerHandle q = loop.call_later(-2, [&] { log.push_back("q"); });
    loop.call_soon([&] { log.push_back("r"); });
    EXPECT_LE(p.when(), start - 1 + 1e-3);  // the deadline is kept, not clamped to now
    EXPECT_LE(q.when(), start - 2 + 1e-3);
    co_await sleep(0);
    log.push_back("main");
    co_await sleep(0);
    co_await sleep(0);
    // Virtual time never runs backwards for a past deadline (sim: still exactly the start).
    if (loop.time() < start) log.push_back("time went backwards");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<std::string>{"r", "main", "q", "p"}));
}

TYPED_TEST(LoopFifoTest, PastCallAtAndNegativeDurationsKeepDeadlineOrder) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    auto& loop = get_running_loop();
    const double now = loop.time();
    loop.call_at(now - 1, [&] { log.push_back("at-1"); });
    loop.call_later(std::chrono::seconds(-3), [&] { log.push_back("ns-3"); });
    loop.call_at(-std::numeric_limits<double>::infinity(), [&] { log.push_back("at-inf"); });
    loop.call_at(now - 2, [&] { log.push_back("at-2"); });
    loop.call_later(0, [&] { log.push_back("later0"); });
    co_await sleep(-5);  // a negative sleep is one yield, as sleep(0)
    log.push_back("main");
    co_await sleep(0);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"main", "at-inf", "ns-3", "at-2", "at-1", "later0"}));
}

TYPED_TEST(LoopTest, TimerNeverFiresEarly) {
  auto body = []() -> Task<bool> {
    auto& loop = get_running_loop();
    const double start = loop.time();
    double fired_at = 0;
    TimerHandle h = loop.call_later(0.002, [&] { fired_at = loop.time(); });
    co_await sleep(0.01);
    co_return fired_at >= start + 0.002 && h.when() >= start + 0.002;
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

TYPED_TEST(LoopFifoTest, CallbackExceptionGoesToHandlerAndLoopContinues) {
  auto loop = TypeParam::make_loop();
  std::vector<std::string> reports;
  loop->set_exception_handler([&](EventLoop&, const ExceptionContext& c) {
    reports.push_back(c.message + ": " + describe_exception(c.exception));
  });
  auto body = [](EventLoop& l) -> Task<int> {
    int after = 0;
    l.call_soon([] { throw ValueError("cb failed"); });
    l.call_soon([&] { after = 1; });
    co_await sleep(0);
    co_return after;
  };
  EXPECT_EQ(loop->run_until_complete(body(*loop)), 1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "Exception in callback: weft::ValueError: cb failed");
  loop->close();
}

TYPED_TEST(LoopFifoTest, RunForeverStopsAfterStop) {
  auto loop = TypeParam::make_loop();
  std::vector<int> log;
  loop->call_soon([&] { log.push_back(1); });
  loop->call_soon([&] {
    log.push_back(2);
    loop->stop();
  });
  loop->call_soon([&] { log.push_back(3); });  // same iteration: still runs
  loop->run_forever();
  loop->call_soon([&] { log.push_back(4); });
  EXPECT_FALSE(loop->is_running());
  loop->stop();  // stop before run_forever: one iteration, then return
  loop->run_forever();
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4}));
  loop->close();
}

TYPED_TEST(LoopTest, RunUntilCompleteReturnsResultAndIsRunningInside) {
  auto loop = TypeParam::make_loop();
  auto body = [](EventLoop& l) -> Task<bool> {
    co_await sleep(0);
    co_return l.is_running() && &get_running_loop() == &l;
  };
  EXPECT_FALSE(loop->is_running());
  EXPECT_TRUE(loop->run_until_complete(body(*loop)));
  EXPECT_FALSE(loop->is_running());
  EXPECT_THROW(get_running_loop(), RuntimeError);
  loop->close();
}

TYPED_TEST(LoopTest, RunUntilCompleteStoppedEarlyRaises) {
  auto loop = TypeParam::make_loop();
  auto body = [](EventLoop& l) -> Task<int> {
    l.stop();
    co_await sleep(0.001);
    co_await sleep(0.001);
    co_return 1;
  };
  EXPECT_THROW(loop->run_until_complete(body(*loop)), RuntimeError);
  loop->close();
}

TYPED_TEST(LoopTest, ClosedLoopRefusesWork) {
  auto loop = TypeParam::make_loop();
  EXPECT_FALSE(loop->is_closed());
  loop->close();
  loop->close();  // idempotent
  EXPECT_TRUE(loop->is_closed());
  EXPECT_THROW(loop->call_soon([] {}), RuntimeError);
  EXPECT_THROW(loop->run_forever(), RuntimeError);
}

TYPED_TEST(LoopTest, CannotCloseOrReenterARunningLoop) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    auto& loop = get_running_loop();
    try {
      loop.close();
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    try {
      loop.run_forever();
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"Cannot close a running event loop",
                                      "This event loop is already running"}));
}

TYPED_TEST(LoopTest, CurrentTaskAndAllTasks) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    AnyTask me = current_task();
    me.set_name("main");
    auto child = create_task(
        [](std::vector<std::string>& l) -> Task<void> {
          l.push_back("child sees " + current_task().get_name());
          co_await sleep(0);
        }(log),
        "worker");
    auto unnamed = create_task([]() -> Task<void> { co_return; }());
    for (auto& t : all_tasks()) log.push_back("live " + t.get_name());
    co_await child;
    co_await unnamed;
    log.push_back("after: " + std::to_string(all_tasks().size()) + " task(s)");
    log.push_back(unnamed.get_name().rfind("Task-", 0) == 0 ? "default name Task-N" : "?");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"live main", "live worker", "live " + std::string("Task-3"),
                                      "child sees worker", "after: 1 task(s)",
                                      "default name Task-N"}));
  EXPECT_FALSE(static_cast<bool>(current_task()));
}

TYPED_TEST(LoopTest, UnretrievedTaskExceptionIsReportedWithTaskName) {
  auto loop = TypeParam::make_loop();
  std::vector<std::string> reports;
  loop->set_exception_handler([&](EventLoop&, const ExceptionContext& c) {
    reports.push_back(c.message + " [" + c.task_name + "] " + describe_exception(c.exception));
  });
  auto body = []() -> Task<void> {
    create_task([]() -> Task<void> {
      co_await sleep(0);
      throw ValueError("lost");
    }(), "doomed");
    co_await sleep(0.001);
  };
  loop->run_until_complete(body());
  loop->close();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "Task exception was never retrieved [doomed] weft::ValueError: lost");
}

TYPED_TEST(LoopTest, RetrievedTaskExceptionIsNotReported) {
  auto loop = TypeParam::make_loop();
  int reports = 0;
  loop->set_exception_handler([&](EventLoop&, const ExceptionContext&) { ++reports; });
  auto body = []() -> Task<bool> {
    auto t = create_task([]() -> Task<void> {
      co_await sleep(0);
      throw ValueError("seen");
    }());
    try {
      co_await t;
    } catch (const ValueError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(loop->run_until_complete(body()));
  loop->close();
  EXPECT_EQ(reports, 0);
}

TYPED_TEST(LoopTest, DefaultHandlerWritesOneLineToStderr) {
  ::testing::internal::CaptureStderr();
  auto loop = TypeParam::make_loop();
  auto body = []() -> Task<void> {
    create_task([]() -> Task<void> {
      throw ValueError("oops");
      co_return;
    }(), "bad-task");
    co_await sleep(0.001);
  };
  loop->run_until_complete(body());
  loop->close();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "weft: Task exception was never retrieved: task 'bad-task': weft::ValueError: oops\n");
}

}  // namespace
}  // namespace weft
