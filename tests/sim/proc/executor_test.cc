// What only the simulated executor (sim::SimExecutor) promises: seeded start and completion
// times and orders, the max_workers bound in virtual time, shutdown and loop-close behaviour,
// determinism; last, work that outlives its awaiter (a timed-out or cancelled job still commits)
// on each world. run_in_executor / to_thread on both worlds is tests/io/executor_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/io/executor.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/proc/sim_executor.h"
#include "sim/run.h"

namespace weft {
namespace {

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
    executor().set_timing({.base_ns = 5'000'000, .step_ns = 1'000'000, .steps = 1, .start_steps = 1});
    std::vector<int64_t> times;
    co_await to_thread([] {});
    times.push_back(get_running_loop().time_ns());
    executor().set_timing({});  // default: start after 0-2 ms, then run for 0-9 ms
    for (int i = 0; i < 20; ++i) {
      const int64_t start = get_running_loop().time_ns();
      co_await to_thread([] {});
      const int64_t took = get_running_loop().time_ns() - start;
      if (took % 1'000'000 != 0 || took > 11'000'000) times.push_back(took);
    }
    co_return times;
  };
  for (uint64_t seed = 0; seed < 5; ++seed) {
    EXPECT_EQ(s::run(main(), {.seed = seed}).value(), std::vector<int64_t>{5'000'000})
        << "seed " << seed;
  }
}

// The function runs when its job starts (old model: when it completed, so the log read
// "0@10ms", "1@10ms", "2@20ms", ...), and a queued job starts when a running one completes.
TEST(SimExecutorTest, AJobQueuedBehindBusyWorkersStartsWhenOneCompletes) {
  auto main = []() -> Task<std::vector<std::string>> {
    executor().set_timing({.base_ns = 10'000'000, .step_ns = 0, .steps = 1, .start_steps = 1});
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
    log->push_back("all done@" + std::to_string(get_running_loop().time_ns() / 1'000'000) + "ms");
    co_return *log;
  };
  EXPECT_EQ(s::run(main()).value(),
            (std::vector<std::string>{"0@0ms", "1@0ms", "2@10ms", "3@10ms", "4@20ms",
                                      "running 2, queued 3", "all done@30ms"}));
}

TEST(SimExecutorTest, RaisingMaxWorkersStartsQueuedJobs) {
  auto main = []() -> Task<int64_t> {
    executor().set_timing({.base_ns = 1'000'000, .step_ns = 0, .steps = 1, .start_steps = 1});
    executor().set_max_workers(1);
    std::vector<Future<void>> jobs;
    for (int i = 0; i < 4; ++i) jobs.push_back(to_thread([] {}));
    executor().set_max_workers(4);
    for (auto& j : jobs) co_await j;
    co_return get_running_loop().time_ns();
  };
  EXPECT_EQ(s::run(main()).value(), 1'000'000);
}

// The order the functions ran in (their start order) and the order their results arrived in.
using Orders = std::pair<std::vector<int>, std::vector<int>>;
Task<Orders> start_and_completion_order() {
  auto ran = std::make_shared<std::vector<int>>();
  std::vector<Future<void>> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(to_thread([ran, i] { ran->push_back(i); }));
  auto done_order = std::make_shared<std::vector<int>>();
  for (int i = 0; i < 5; ++i) {
    jobs[static_cast<size_t>(i)].add_done_callback([done_order, i](Future<void>) {
      done_order->push_back(i);
    });
  }
  for (auto& j : jobs) co_await j;
  co_await sleep(0);
  co_return Orders{*ran, *done_order};
}

// The old model ran a function at its completion time, so both orders always agreed (this test
// asserted it). Now a function runs at its start and its result arrives later: a job can run
// first and complete last, as on a thread pool.
TEST(SimExecutorTest, StartAndCompletionOrdersVaryWithTheSeedAndRepeatForTheSameSeed) {
  std::set<std::vector<int>> start_orders;
  std::set<std::vector<int>> completion_orders;
  int disagreeing = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto first = s::run(start_and_completion_order(), {.seed = seed});
    auto again = s::run(start_and_completion_order(), {.seed = seed});
    ASSERT_EQ(first.value().first.size(), 5u) << "seed " << seed;
    ASSERT_EQ(first.value().second.size(), 5u) << "seed " << seed;
    EXPECT_EQ(first.value(), again.value()) << "seed " << seed;
    EXPECT_EQ(first.digest, again.digest) << "seed " << seed;
    start_orders.insert(first.value().first);
    completion_orders.insert(first.value().second);
    if (first.value().first != first.value().second) ++disagreeing;
  }
  EXPECT_GT(start_orders.size(), 1u);
  EXPECT_GT(completion_orders.size(), 1u);
  EXPECT_GT(disagreeing, 0);
}

TEST(SimExecutorTest, ChoiceZeroEverywhereStartsAndCompletesInSubmissionOrderAtOnce) {
  auto r = s::run(start_and_completion_order(), {},
                  std::make_unique<s::ListChoiceSource>(std::vector<uint64_t>{}));
  EXPECT_EQ(r.value(), (Orders{{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}}));
  EXPECT_EQ(r.end_time_ns, 0);
}

// The first choice places the start (2 x 1 ms), the second the run time (3 x 1 ms).
TEST(SimExecutorTest, TheFunctionRunsAtTheChosenStartAndItsResultArrivesAtTheChosenEnd) {
  auto main = []() -> Task<std::pair<int64_t, int64_t>> {
    executor().set_timing({.base_ns = 0, .step_ns = 1'000'000, .steps = 10,
                           .start_step_ns = 1'000'000, .start_steps = 5});
    auto ran_at = std::make_shared<int64_t>(-1);
    auto job = to_thread([ran_at] { *ran_at = get_running_loop().time_ns(); });
    co_await job;
    co_return std::make_pair(*ran_at, get_running_loop().time_ns());
  };
  auto r = s::run(main(), {}, std::make_unique<s::ListChoiceSource>(std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(r.value(), (std::pair<int64_t, int64_t>{2'000'000, 5'000'000}));
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
                 "ExecutorTiming: durations must be >= 0 and counts >= 1, got base_ns=0 "
                 "step_ns=1000000 steps=-1 start_step_ns=1000000 start_steps=3");
  }
  EXPECT_THROW(loop.executor().set_timing({.base_ns = 0, .step_ns = INT64_MAX / 2, .steps = 3}),
               ValueError);
  EXPECT_THROW(loop.executor().set_timing({.base_ns = INT64_MAX, .step_ns = 0, .steps = 1}),
               ValueError);
  EXPECT_THROW(loop.executor().set_timing({.start_step_ns = -1}), ValueError);
  EXPECT_THROW(loop.executor().set_timing({.start_steps = 0}), ValueError);
  EXPECT_THROW(
      loop.executor().set_timing({.start_step_ns = INT64_MAX / 4, .start_steps = 3}), ValueError);
  EXPECT_EQ(loop.executor().timing().steps, 10);  // unchanged by the refused ones
}

// ---- Work that outlives its awaiter ----

// The classic bug: wait_for(to_thread(commit), timeout) raises TimeoutError, the caller assumes
// nothing happened, but the commit did. The old model ran a function at its completion time and
// skipped it once the future was cancelled, so "TimeoutError, committed" could not happen in
// the simulated world. Every outcome a thread pool allows must now come up in a seed sweep, and
// the one it does not allow ("returned" without the commit) never.
Task<std::string> commit_with_timeout() {
  auto committed = std::make_shared<bool>(false);
  auto job = to_thread([committed] { *committed = true; });
  std::string outcome;
  Task<void> waited = wait_for(job, 0.0015);
  try {
    co_await std::move(waited);
    outcome = "returned";
  } catch (const TimeoutError&) {
    outcome = "TimeoutError";
  }
  co_await sleep(0.05);  // past every job's start and completion
  co_return outcome + (*committed ? ", committed" : ", not committed");
}

TEST(SimExecutorTest, TimeoutAfterTheWorkCommittedIsFoundBySeedSweep) {
  std::map<std::string, int> outcomes;
  uint64_t first_bug_seed = 0;
  for (auto strategy : {s::Strategy::kFifo, s::Strategy::kRandom}) {
    for (uint64_t seed = 0; seed < 500; ++seed) {
      auto r = s::run(commit_with_timeout(), {.seed = seed, .strategy = strategy});
      const std::string outcome = r.value();
      if (outcome == "TimeoutError, committed" && outcomes[outcome] == 0) first_bug_seed = seed;
      ++outcomes[outcome];
    }
  }
  EXPECT_GT(outcomes["returned, committed"], 0);
  EXPECT_GT(outcomes["TimeoutError, committed"], 0) << "the classic bug is never reached";
  EXPECT_GT(outcomes["TimeoutError, not committed"], 0);  // cancelled before a worker started it
  EXPECT_EQ(outcomes.size(), 3u) << "an outcome a thread pool cannot produce";
  std::string summary;
  for (auto& [outcome, n] : outcomes) summary += outcome + ": " + std::to_string(n) + "; ";
  std::cout << "commit_with_timeout over 1000 runs: " << summary << "first bug seed "
            << first_bug_seed << "\n";
}

// A run_in_executor cancelled after its job started: the function has run (its side effect is
// there at once), the awaiting task gets CancelledError, and the job still takes its worker
// to its end. The old model skipped the function, so the commit never happened.
TEST(SimExecutorTest, ACancelledRunInExecutorWhoseJobStartedStillRunsToTheEnd) {
  auto main = []() -> Task<std::vector<std::string>> {
    executor().set_timing({.base_ns = 10'000'000, .step_ns = 0, .steps = 1, .start_steps = 1});
    std::vector<std::string> log;
    auto committed = std::make_shared<bool>(false);
    Future<int> job = run_in_executor([committed] {
      *committed = true;
      return 7;
    });
    auto waiter = create_task([](Future<int> j) -> Task<int> { co_return co_await j; }(job));
    co_await sleep(0.001);
    log.push_back("at 1ms: committed=" + std::to_string(*committed) +
                  ", running=" + std::to_string(executor().running()));
    waiter.cancel();
    try {
      co_await waiter;
      log.push_back("waiter returned");
    } catch (const CancelledError&) {
      log.push_back("waiter: CancelledError");
    }
    log.push_back("future cancelled=" + std::to_string(job.cancelled()));
    co_await sleep(0.02);
    log.push_back("at 21ms: committed=" + std::to_string(*committed) +
                  ", completed=" + std::to_string(executor().completed()) +
                  ", running=" + std::to_string(executor().running()));
    co_return log;
  };
  for (uint64_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(s::run(main(), {.seed = seed, .strategy = s::Strategy::kRandom}).value(),
              (std::vector<std::string>{"at 1ms: committed=1, running=1", "waiter: CancelledError",
                                        "future cancelled=1",
                                        "at 21ms: committed=1, completed=1, running=0"}))
        << "seed " << seed;
  }
}

// The same on the real loop, where the thread pool always behaved so. No timing: the function
// blocks until the test has seen the timeout, then commits.
TEST(RealExecutorTest, WorkThatTimedOutStillCommits) {
  auto main = []() -> Task<std::vector<std::string>> {
    EventLoop& loop = get_running_loop();
    std::vector<std::string> log;
    Future<void> started = loop.create_future<void>();
    Future<void> committed = loop.create_future<void>();
    std::promise<void> release;
    // Released on every path, or weft::run's executor shutdown would wait for the worker.
    struct Release {
      std::promise<void>& p;
      bool done = false;
      void now() {
        if (!std::exchange(done, true)) p.set_value();
      }
      ~Release() { now(); }
    } release_guard{release};
    auto flag = std::make_shared<std::atomic<bool>>(false);
    // Only plain pointers to loop-owned futures cross to the worker (their counts are not
    // atomic); the futures outlive the job because this task waits for `committed`.
    Future<void>* started_p = &started;
    Future<void>* committed_p = &committed;
    auto job = to_thread([&loop, started_p, committed_p, released = release.get_future(), flag] {
      loop.call_soon_threadsafe([started_p] { started_p->set_result(); });
      released.wait();
      flag->store(true);
      loop.call_soon_threadsafe([committed_p] { committed_p->set_result(); });
    });
    co_await started;  // the job runs on a worker now
    Task<void> waited = wait_for(job, 0.01);
    try {
      co_await std::move(waited);
      log.push_back("returned");
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    log.push_back(job.cancelled() ? "future cancelled" : "future not cancelled");
    log.push_back(flag->load() ? "committed already" : "not committed yet");
    release_guard.now();
    Task<void> commit_seen = wait_for(committed, 60.0);
    co_await std::move(commit_seen);
    log.push_back(flag->load() ? "committed after the timeout" : "never committed");
    co_return log;
  };
  EXPECT_EQ(weft::run(main()),
            (std::vector<std::string>{"TimeoutError", "future cancelled", "not committed yet",
                                      "committed after the timeout"}));
}

}  // namespace
}  // namespace weft
