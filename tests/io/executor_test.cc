#include "runtime/io/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft {
namespace {

using ExecutorTest = testing::FdCheckedTest;

int add(int a, int b) { return a + b; }

TEST_F(ExecutorTest, RunInExecutorReturnsTheValue) {
  auto main = []() -> Task<int> { co_return co_await run_in_executor(add, 2, 40); };
  EXPECT_EQ(weft::run(main()), 42);
}

TEST_F(ExecutorTest, RunsOffTheLoopThread) {
  auto main = []() -> Task<bool> {
    const auto loop_thread = std::this_thread::get_id();
    auto worker = co_await to_thread([] { return std::this_thread::get_id(); });
    co_return worker != loop_thread;
  };
  EXPECT_TRUE(weft::run(main()));
}

TEST_F(ExecutorTest, ExceptionArrivesAtTheAwaitingCoroutine) {
  auto main = []() -> Task<std::string> {
    try {
      co_await run_in_executor([]() -> int { throw std::out_of_range("boom"); });
    } catch (const std::out_of_range& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(weft::run(main()), "boom");
}

TEST_F(ExecutorTest, VoidFunctionsAndMoveOnlyResults) {
  auto main = []() -> Task<int> {
    std::atomic<int> hits{0};
    co_await to_thread([&hits] { hits += 1; });
    auto p = co_await run_in_executor([] { return std::make_unique<int>(7); });
    co_return hits.load() + *p;
  };
  EXPECT_EQ(weft::run(main()), 8);
}

TEST_F(ExecutorTest, CallSoonThreadsafeWakesALoopBlockedInEpollWait) {
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

TEST_F(ExecutorTest, CallSoonThreadsafeFromManyThreadsLosesNothingAndKeepsEachThreadsOrder) {
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

TEST_F(ExecutorTest, ManyJobsOnEightWorkersEachCompleteOnceWithTheirOwnResult) {
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
  EXPECT_EQ(weft::run(main()), expected);
}

TEST_F(ExecutorTest, DefaultPoolRunsJobsConcurrently) {
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

TEST_F(ExecutorTest, MaxWorkersOneRunsJobsInOrder) {
  auto main = []() -> Task<std::vector<int>> {
    get_running_loop().executor_service()->set_max_workers(1);
    auto order = std::make_shared<std::vector<int>>();  // touched by one worker at a time
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 5; ++i) jobs.push_back(to_thread([order, i] { order->push_back(i); }));
    for (auto& j : jobs) co_await j;
    co_return *order;
  };
  EXPECT_EQ(weft::run(main()), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(ExecutorTest, CancelledJobThatHasNotStartedNeverRuns) {
  auto main = []() -> Task<std::pair<bool, bool>> {
    get_running_loop().executor_service()->set_max_workers(1);
    std::latch release(1);
    std::atomic<bool> second_ran{false};
    auto first = to_thread([&release] { release.wait(); });
    auto second = to_thread([&second_ran] { second_ran = true; });
    second.cancel();
    co_await sleep(0);  // the cancellation reaches the job
    co_await sleep(0);
    release.count_down();
    co_await first;
    co_await to_thread([] {});  // FIFO: the second job's turn has passed
    co_return std::make_pair(second.cancelled(), second_ran.load());
  };
  auto [cancelled, ran] = weft::run(main());
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(ran);
}

TEST_F(ExecutorTest, SubmittingAfterShutdownRaisesRuntimeError) {
  auto main = []() -> Task<bool> {
    co_await to_thread([] {});
    get_running_loop().shutdown_default_executor();
    try {
      co_await to_thread([] {});
    } catch (const RuntimeError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(weft::run(main()));
}

}  // namespace
}  // namespace weft
