// run_in_executor / to_thread on both worlds (the thread pool and sim::SimExecutor), then what
// only the simulated executor promises: seeded completion times and order, the max_workers
// bound in virtual time, shutdown and loop-close behaviour, determinism.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/io/executor.h"
#include "runtime/weft.h"
#include "sim/proc/sim_executor.h"
#include "sim/run.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class ExecutorWorldsTest : public ::testing::Test {};
TYPED_TEST_SUITE(ExecutorWorldsTest, testing::Worlds, testing::WorldNames);

int add(int a, int b) { return a + b; }

TYPED_TEST(ExecutorWorldsTest, RunInExecutorReturnsTheValue) {
  auto main = []() -> Task<int> { co_return co_await run_in_executor(add, 2, 40); };
  EXPECT_EQ(TypeParam::run(main()), 42);
}

TYPED_TEST(ExecutorWorldsTest, ExceptionArrivesAtTheAwaitingCoroutine) {
  auto main = []() -> Task<std::string> {
    try {
      co_await run_in_executor([]() -> int { throw std::out_of_range("boom"); });
    } catch (const std::out_of_range& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(TypeParam::run(main()), "boom");
}

TYPED_TEST(ExecutorWorldsTest, ToThreadWithArgumentsVoidAndMoveOnlyResults) {
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
  EXPECT_EQ(TypeParam::run(main()), 14);
}

TYPED_TEST(ExecutorWorldsTest, MaxWorkersOneRunsJobsInOrder) {
  auto main = []() -> Task<std::vector<int>> {
    get_running_loop().executor_service()->set_max_workers(1);
    auto order = std::make_shared<std::vector<int>>();  // touched by one worker at a time
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 5; ++i) jobs.push_back(to_thread([order, i] { order->push_back(i); }));
    for (auto& j : jobs) co_await j;
    co_return *order;
  };
  EXPECT_EQ(TypeParam::run(main()), (std::vector<int>{0, 1, 2, 3, 4}));
}

TYPED_TEST(ExecutorWorldsTest, NeverMoreJobsRunningThanMaxWorkers) {
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
  const int peak = TypeParam::run(main());
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, 2);
}

TYPED_TEST(ExecutorWorldsTest, SubmittingAfterShutdownRaisesRuntimeError) {
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
  EXPECT_EQ(TypeParam::run(main()), "cannot schedule new futures after shutdown");
}

// ---- The simulated executor only ----

namespace s = weft::sim;

s::SimExecutor& executor() { return s::current_loop().executor(); }

TEST(SimExecutorTest, RunsOnTheLoopThreadWithSixWorkersByDefault) {
  auto main = []() -> Task<std::pair<bool, size_t>> {
    const auto loop_thread = std::this_thread::get_id();
    auto worker = co_await to_thread([] { return std::this_thread::get_id(); });
    co_return std::make_pair(worker == loop_thread, executor().max_workers());
  };
  EXPECT_EQ(s::run(main()).value(), (std::pair<bool, size_t>{true, 6}));
}

TEST(SimExecutorTest, CompletesAtTheChosenVirtualTime) {
  auto main = []() -> Task<std::vector<int64_t>> {
    executor().set_timing({.base_ns = 5'000'000, .step_ns = 1'000'000, .steps = 1});
    std::vector<int64_t> times;
    co_await to_thread([] {});
    times.push_back(get_running_loop().time_ns());
    executor().set_timing({.base_ns = 0, .step_ns = 1'000'000, .steps = 10});
    for (int i = 0; i < 20; ++i) {
      const int64_t start = get_running_loop().time_ns();
      co_await to_thread([] {});
      const int64_t took = get_running_loop().time_ns() - start;
      if (took % 1'000'000 != 0 || took > 9'000'000) times.push_back(took);
    }
    co_return times;
  };
  for (uint64_t seed = 0; seed < 5; ++seed) {
    EXPECT_EQ(s::run(main(), {.seed = seed}).value(), std::vector<int64_t>{5'000'000})
        << "seed " << seed;
  }
}

TEST(SimExecutorTest, AJobQueuedBehindBusyWorkersStartsWhenOneCompletes) {
  auto main = []() -> Task<std::vector<std::string>> {
    executor().set_timing({.base_ns = 10'000'000, .step_ns = 0, .steps = 1});
    executor().set_max_workers(2);
    auto log = std::make_shared<std::vector<std::string>>();
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 5; ++i) {
      jobs.push_back(to_thread([log, i] {
        log->push_back(std::to_string(i) + "@" +
                       std::to_string(get_running_loop().time_ns() / 1'000'000) + "ms");
      }));
    }
    const size_t running = executor().running();
    const size_t queued = executor().queued();
    for (auto& j : jobs) co_await j;
    log->push_back("running " + std::to_string(running) + ", queued " + std::to_string(queued));
    co_return *log;
  };
  EXPECT_EQ(s::run(main()).value(),
            (std::vector<std::string>{"0@10ms", "1@10ms", "2@20ms", "3@20ms", "4@30ms",
                                      "running 2, queued 3"}));
}

TEST(SimExecutorTest, RaisingMaxWorkersStartsQueuedJobs) {
  auto main = []() -> Task<int64_t> {
    executor().set_timing({.base_ns = 1'000'000, .step_ns = 0, .steps = 1});
    executor().set_max_workers(1);
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 4; ++i) jobs.push_back(to_thread([] {}));
    executor().set_max_workers(4);
    for (auto& j : jobs) co_await j;
    co_return get_running_loop().time_ns();
  };
  EXPECT_EQ(s::run(main()).value(), 1'000'000);
}

Task<std::vector<int>> completion_order() {
  auto order = std::make_shared<std::vector<int>>();
  std::vector<Future<void>> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(to_thread([order, i] { order->push_back(i); }));
  auto done_order = std::make_shared<std::vector<int>>();
  for (int i = 0; i < 5; ++i) {
    jobs[static_cast<size_t>(i)].add_done_callback([done_order, i](Future<void>) {
      done_order->push_back(i);
    });
  }
  for (auto& j : jobs) co_await j;
  co_await sleep(0);
  // The functions run in completion order: both orders agree.
  if (*order != *done_order) co_return std::vector<int>{};
  co_return *order;
}

TEST(SimExecutorTest, CompletionOrderVariesWithTheSeedAndRepeatsForTheSameSeed) {
  std::set<std::vector<int>> orders;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto first = s::run(completion_order(), {.seed = seed});
    auto again = s::run(completion_order(), {.seed = seed});
    ASSERT_EQ(first.value().size(), 5u) << "seed " << seed;
    EXPECT_EQ(first.value(), again.value()) << "seed " << seed;
    EXPECT_EQ(first.digest, again.digest) << "seed " << seed;
    orders.insert(first.value());
  }
  EXPECT_GT(orders.size(), 1u);
}

TEST(SimExecutorTest, ChoiceZeroEverywhereCompletesInSubmissionOrderAtOnce) {
  auto r = s::run(completion_order(), {}, std::make_unique<s::ListChoiceSource>(std::vector<uint64_t>{}));
  EXPECT_EQ(r.value(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(r.end_time_ns, 0);
}

TEST(SimExecutorTest, ACancelledJobThatHasNotStartedNeverRuns) {
  auto main = []() -> Task<std::pair<bool, bool>> {
    executor().set_max_workers(1);
    auto second_ran = std::make_shared<bool>(false);
    auto first = to_thread([] {});
    auto second = to_thread([second_ran] { *second_ran = true; });
    second.cancel();
    co_await first;
    co_await to_thread([] {});  // FIFO: the second job's turn has passed
    co_return std::make_pair(second.cancelled(), *second_ran);
  };
  for (uint64_t seed = 0; seed < 10; ++seed) {
    EXPECT_EQ(s::run(main(), {.seed = seed}).value(), (std::pair<bool, bool>{true, false}));
  }
}

TEST(SimExecutorTest, ShutdownFinishesOutstandingJobsAtOnce) {
  auto main = []() -> Task<std::vector<int>> {
    executor().set_timing({.base_ns = 1'000'000'000, .step_ns = 1'000'000, .steps = 10});
    executor().set_max_workers(1);
    auto ran = std::make_shared<std::vector<int>>();
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 3; ++i) jobs.push_back(to_thread([ran, i] { ran->push_back(i); }));
    executor().shutdown();
    ran->push_back(static_cast<int>(executor().running() + executor().queued()));
    for (auto& j : jobs) co_await j;
    ran->push_back(static_cast<int>(get_running_loop().time()));
    co_return *ran;
  };
  EXPECT_EQ(s::run(main()).value(), (std::vector<int>{0, 1, 2, 0, 0}));
}

TEST(SimExecutorTest, DoneIsDroppedUnrunWhenTheLoopClosesFirst) {
  auto work_ran = std::make_shared<bool>(false);
  auto done_ran = std::make_shared<bool>(false);
  auto token = std::make_shared<int>(0);
  {
    s::SimLoop loop;
    auto main = [](std::shared_ptr<bool> w, std::shared_ptr<bool> d,
                   std::shared_ptr<int> t) -> Task<void> {
      s::current_loop().executor().submit([w, t] { *w = true; }, [d, t] { *d = true; });
      co_return;
    };
    loop.run_until_complete(main(work_ran, done_ran, token));
    loop.close();
    EXPECT_THROW(loop.executor().submit([] {}, [] {}), RuntimeError);
  }
  EXPECT_FALSE(*work_ran);
  EXPECT_FALSE(*done_ran);
  EXPECT_EQ(token.use_count(), 1);  // both closures were destroyed
}

TEST(SimExecutorTest, BadTimingIsRejected) {
  s::SimLoop loop;
  EXPECT_THROW(loop.executor().set_timing({.base_ns = 0, .step_ns = 1, .steps = 0}), ValueError);
  EXPECT_THROW(loop.executor().set_timing({.base_ns = -1, .step_ns = 1, .steps = 1}), ValueError);
  // A count from a variable used to wrap: steps = -1 became 2^64-1 choices, and the delays
  // overflowed the virtual clock.
  s::ExecutorTiming wrapped;
  int64_t minus_one = -1;
  wrapped.steps = minus_one;
  try {
    loop.executor().set_timing(wrapped);
    ADD_FAILURE() << "steps = -1 accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(),
                 "ExecutorTiming: base_ns and step_ns must be >= 0 and steps >= 1, got "
                 "base_ns=0 step_ns=1000000 steps=-1");
  }
  EXPECT_THROW(loop.executor().set_timing({.base_ns = 0, .step_ns = INT64_MAX / 2, .steps = 3}),
               ValueError);
  EXPECT_THROW(loop.executor().set_timing({.base_ns = INT64_MAX, .step_ns = 0, .steps = 1}),
               ValueError);
  EXPECT_EQ(loop.executor().timing().steps, 10);  // unchanged by the refused ones
}

}  // namespace
}  // namespace weft
