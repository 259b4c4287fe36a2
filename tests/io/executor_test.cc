// run_in_executor / to_thread on both worlds: the real thread pool, and the simulated executor
// (sim/proc/sim_executor) under several seeds of both strategies. Then what only the real loop
// has: worker threads, call_soon_threadsafe from other threads, jobs that block on each other.
// What only the simulated executor promises (virtual start and completion times, their seeded
// orders) is tested in tests/sim/proc/executor_test.cc.
#include "runtime/io/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/run.h"
#include "tests/io/fd_check.h"
#include "tests/io/world_runs.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class ExecutorTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(ExecutorTest, testing::Worlds, testing::WorldNames);

using testing::check_runs;
using testing::expect_runs;

int add(int a, int b) { return a + b; }

// ---- Both worlds ----

TYPED_TEST(ExecutorTest, RunInExecutorReturnsTheValue) {
  auto main = []() -> Task<int> { co_return co_await run_in_executor(add, 2, 40); };
  expect_runs<TypeParam>(main, 42);
}

TYPED_TEST(ExecutorTest, ExceptionArrivesAtTheAwaitingCoroutine) {
  auto main = []() -> Task<std::string> {
    try {
      co_await run_in_executor([]() -> int { throw std::out_of_range("boom"); });
    } catch (const std::out_of_range& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  expect_runs<TypeParam>(main, std::string("boom"));
}

TYPED_TEST(ExecutorTest, VoidFunctionsAndMoveOnlyResults) {
  auto main = []() -> Task<int> {
    std::atomic<int> hits{0};
    // The closure is built outside the co_await expression (g++ 12).
    auto bump = to_thread([&hits] { hits += 1; });
    co_await bump;
    auto p = co_await run_in_executor([] { return std::make_unique<int>(7); });
    co_return hits.load() + *p;
  };
  expect_runs<TypeParam>(main, 8);
}

TYPED_TEST(ExecutorTest, ToThreadWithArgumentsVoidAndMoveOnlyResults) {
  auto main = []() -> Task<int> {
    auto hits = std::make_shared<std::atomic<int>>(0);
    // Closures and strings built outside the co_await expressions (g++ 12).
    auto bump = to_thread([hits](int n) { *hits += n; }, 3);
    co_await bump;
    auto p = co_await run_in_executor([] { return std::make_unique<int>(7); });
    std::string ab = "ab", cd = "cd";
    auto concat = to_thread([](std::string a, std::string b) { return a + b; }, ab, cd);
    std::string s = co_await concat;
    co_return hits->load() + *p + static_cast<int>(s.size());
  };
  expect_runs<TypeParam>(main, 14);
}

TYPED_TEST(ExecutorTest, ManyJobsOnEightWorkersEachCompleteOnceWithTheirOwnResult) {
  // More jobs than workers, each handing a value back through the pool's queue and
  // call_soon_threadsafe: under --config=tsan this checks the pool's lock and condition variable.
  auto main = []() -> Task<std::vector<int>> {
    get_running_loop().executor_service()->set_max_workers(8);
    std::vector<Future<int>> jobs;
    for (int i = 0; i < 400; ++i) jobs.push_back(run_in_executor([i] { return i * i; }));
    std::vector<int> results;
    for (auto& j : jobs) results.push_back(co_await j);
    co_return results;
  };
  std::vector<int> expected;
  for (int i = 0; i < 400; ++i) expected.push_back(i * i);
  expect_runs<TypeParam>(main, expected);
}

TYPED_TEST(ExecutorTest, MaxWorkersOneRunsJobsInOrder) {
  auto main = []() -> Task<std::vector<int>> {
    get_running_loop().executor_service()->set_max_workers(1);
    auto order = std::make_shared<std::vector<int>>();  // touched by one worker at a time
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 5; ++i) jobs.push_back(to_thread([order, i] { order->push_back(i); }));
    for (auto& j : jobs) co_await j;
    co_return *order;
  };
  expect_runs<TypeParam>(main, std::vector<int>{0, 1, 2, 3, 4});
}

TYPED_TEST(ExecutorTest, NeverMoreJobsRunningThanMaxWorkers) {
  auto main = []() -> Task<int> {
    get_running_loop().executor_service()->set_max_workers(2);
    auto active = std::make_shared<std::atomic<int>>(0);
    auto peak = std::make_shared<std::atomic<int>>(0);
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 12; ++i) {
      jobs.push_back(to_thread([active, peak] {
        int now = ++*active;
        int seen = peak->load();
        while (now > seen && !peak->compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --*active;
      }));
    }
    for (auto& j : jobs) co_await j;
    co_return peak->load();
  };
  check_runs<TypeParam>(main, [](int peak, const std::string& where) {
    EXPECT_GE(peak, 1) << where;
    EXPECT_LE(peak, 2) << where;
  });
}

// The first job holds the only worker while the second is cancelled: on the real loop it blocks
// until released, in the simulated world it takes its virtual run time (its function must not
// block: it runs on the loop thread).
TYPED_TEST(ExecutorTest, CancelledJobThatHasNotStartedNeverRuns) {
  auto main = []() -> Task<std::pair<bool, bool>> {
    get_running_loop().executor_service()->set_max_workers(1);
    auto release = std::make_shared<std::latch>(1);
    auto second_ran = std::make_shared<std::atomic<bool>>(false);
    auto first = to_thread([release] {
      if (!TypeParam::kSimulated) release->wait();
    });
    auto second = to_thread([second_ran] { *second_ran = true; });
    second.cancel();
    co_await sleep(0);  // the cancellation reaches the job
    co_await sleep(0);
    release->count_down();
    co_await first;
    auto last = to_thread([] {});
    co_await last;  // FIFO: the second job's turn has passed
    co_return std::make_pair(second.cancelled(), second_ran->load());
  };
  // The simulated half: ten seeds of each world's strategy.
  expect_runs<TypeParam>(main, std::pair<bool, bool>{true, false}, /*more_seeds=*/9);
}

TYPED_TEST(ExecutorTest, SubmittingAfterShutdownRaisesRuntimeError) {
  auto main = []() -> Task<std::string> {
    co_await to_thread([] {});
    get_running_loop().shutdown_default_executor();
    try {
      co_await to_thread([] {});
    } catch (const RuntimeError& e) {
      co_return e.what();
    }
    co_return "submitted";
  };
  expect_runs<TypeParam>(main, std::string("cannot schedule new futures after shutdown"));
}

// ---- The real loop only: threads ----

using RealExecutorTest = testing::FdCheckedTest;

TEST_F(RealExecutorTest, RunsOffTheLoopThread) {
  auto main = []() -> Task<bool> {
    const auto loop_thread = std::this_thread::get_id();
    auto worker = co_await to_thread([] { return std::this_thread::get_id(); });
    co_return worker != loop_thread;
  };
  EXPECT_TRUE(weft::run(main()));
}

TEST_F(RealExecutorTest, CallSoonThreadsafeWakesALoopBlockedInEpollWait) {
  // The loop waits on a one-hour timer; only the eventfd wake-up can end this test quickly.
  auto main = []() -> Task<std::vector<int>> {
    auto& loop = get_running_loop();
    auto done = std::make_shared<Future<std::vector<int>>>(loop.create_future<std::vector<int>>());
    auto order = std::make_shared<std::vector<int>>();
    std::thread poster([&loop, done, order] {
      for (int i = 0; i < 3; ++i) {
        loop.call_soon_threadsafe([order, i] { order->push_back(i); });
      }
      loop.call_soon_threadsafe([done, order] { done->set_result(*order); });
    });
    Task<std::vector<int>> wait = wait_for(*done, std::optional<double>(3600.0));
    std::vector<int> got = co_await std::move(wait);
    poster.join();
    co_return got;
  };
  EXPECT_EQ(weft::run(main()), (std::vector<int>{0, 1, 2}));
}

constexpr int kThreads = 4;
constexpr int kPerThread = 2000;

TEST_F(RealExecutorTest, CallSoonThreadsafeFromManyThreadsLosesNothingAndKeepsEachThreadsOrder) {
  // Four threads post at once while the loop keeps running its own callbacks; under
  // --config=tsan this checks the cross-thread queue (its lock, the eventfd wake-up, the swap).
  auto main = []() -> Task<std::vector<std::vector<int>>> {
    auto& loop = get_running_loop();
    auto seen = std::make_shared<std::vector<std::vector<int>>>(kThreads);  // loop thread only
    auto done = std::make_shared<Future<void>>(loop.create_future<void>());
    auto remaining = std::make_shared<int>(kThreads * kPerThread);  // loop thread only
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
      posters.emplace_back([&loop, seen, done, remaining, t] {
        for (int i = 0; i < kPerThread; ++i) {
          loop.call_soon_threadsafe([seen, done, remaining, t, i] {
            (*seen)[t].push_back(i);
            if (--*remaining == 0) done->set_result();
          });
        }
      });
    }
    while (!done->done()) co_await sleep(0);  // the loop stays busy while the threads post
    for (auto& p : posters) p.join();
    co_return *seen;
  };
  std::vector<int> expected(kPerThread);
  for (int i = 0; i < kPerThread; ++i) expected[i] = i;
  const auto seen = weft::run(main());
  ASSERT_EQ(seen.size(), size_t{kThreads});
  for (const auto& per_thread : seen) EXPECT_EQ(per_thread, expected);
}

TEST_F(RealExecutorTest, DefaultPoolRunsJobsConcurrently) {
  // Four jobs that each wait for all four: only finishes if they run at the same time.
  auto main = []() -> Task<size_t> {
    EXPECT_GE(get_running_loop().executor_service()->max_workers(), 5u);
    std::latch all(4);
    std::vector<Future<int>> jobs;
    for (int i = 0; i < 4; ++i) {
      jobs.push_back(run_in_executor([&all, i] {
        all.arrive_and_wait();
        return i;
      }));
    }
    int sum = 0;
    for (auto& j : jobs) sum += co_await j;
    co_return static_cast<size_t>(sum);
  };
  EXPECT_EQ(weft::run(main()), 6u);
}

}  // namespace
}  // namespace weft
