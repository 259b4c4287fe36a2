// Teardown after an early exit (weft::run, sim::run): main fails, or deadlocks, while other tasks
// still wait on or hold primitives that are main's locals. No task runs again after main's
// failure: every frame left is destroyed newest first, so none is touched after it is freed (run
// these under --config=asan), and the report still comes out: main's exception, the deadlock
// dump. After a normal return the tasks left are cancelled and drained, as asyncio does.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/sync/event.h"
#include "runtime/sync/lock.h"
#include "runtime/sync/queue.h"
#include "runtime/sync/semaphore.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using ::testing::HasSubstr;
using Log = std::vector<std::string>;
using SharedLog = std::shared_ptr<Log>;

// Records its destruction in a log that outlives the run: shows a frame was destroyed, and when.
struct Sentinel {
  SharedLog log;
  std::string name;
  ~Sentinel() { log->push_back("~" + name); }
};

// Runs `wait` inside a frame that logs its destruction, and logs a catch block that runs (it
// must not, when the task is destroyed rather than cancelled).
Task<void> logged(SharedLog log, std::string name, Task<void> wait) {
  Sentinel sentinel{log, name};
  try {
    co_await std::move(wait);
  } catch (const CancelledError&) {
    log->push_back(name + " cancelled");
    throw;
  }
  log->push_back(name + " done");
}

Task<void> hold_then_wait(Semaphore& s, Event& never) {
  auto guard = co_await s.scoped();
  co_await never.wait();
}

Task<void> hold_lock_then_wait(Lock& l, Event& never) {
  auto guard = co_await l.scoped();
  co_await never.wait();
}

Task<void> nap(double seconds) { co_await sleep(seconds); }

Task<void> get_one(Queue<int>& q) {
  int v = co_await q.get();
  (void)v;
}

// Main starts six tasks that wait on, or hold, its own locals, lets them block, then fails.
Task<void> fail_while_children_wait(SharedLog log) {
  Semaphore empty(0, "empty");
  Semaphore pool(1, "pool");
  Lock lock("lock");
  Queue<int> queue(0, "queue");
  Event never("never");
  create_task(logged(log, "sem-waiter", empty.acquire()));
  create_task(logged(log, "sem-holder", hold_then_wait(pool, never)));
  create_task(logged(log, "lock-holder", hold_lock_then_wait(lock, never)));
  co_await sleep(0.001);  // the holder has the lock before the waiter comes, on any schedule
  create_task(logged(log, "lock-waiter", lock.acquire()));
  create_task(logged(log, "queue-getter", get_one(queue)));
  create_task(logged(log, "event-waiter", never.wait()));
  co_await sleep(0.01);
  throw ValueError("main failed");
}

const Log kNewestFirst = {"~event-waiter", "~queue-getter", "~lock-waiter",
                          "~lock-holder",  "~sem-holder",   "~sem-waiter"};

template <class W>
class TeardownTest : public ::testing::Test {};
TYPED_TEST_SUITE(TeardownTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(TeardownTest, MainFailingWhileChildrenUseItsLocalsDestroysThemUnrunNewestFirst) {
  auto log = std::make_shared<Log>();
  try {
    TypeParam::run(fail_while_children_wait(log));
    ADD_FAILURE() << "main's exception was not raised";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "main failed");
  }
  EXPECT_EQ(*log, kNewestFirst);
}

TEST(TeardownSimTest, MainFailingWhileChildrenUseItsLocalsUnderRandomSchedules) {
  for (uint64_t seed = 0; seed < 500; ++seed) {
    auto log = std::make_shared<Log>();
    auto result = sim::run(fail_while_children_wait(log),
                           {.seed = seed, .strategy = sim::Strategy::kRandom});
    ASSERT_FALSE(result.ok()) << "seed " << seed;
    EXPECT_THROW(result.value(), ValueError) << "seed " << seed;
    ASSERT_EQ(*log, kNewestFirst) << "seed " << seed;
  }
}

// A task that is not main's child and refers to nothing of main's: after a normal return it is
// cancelled and runs its handler, as asyncio.run does.
TYPED_TEST(TeardownTest, TasksLeftAfterANormalReturnAreCancelledAndDrained) {
  auto log = std::make_shared<Log>();
  auto body = [](SharedLog l) -> Task<int> {
    create_task(logged(l, "background", nap(3600)));
    co_await sleep(0.01);
    co_return 7;
  };
  EXPECT_EQ(TypeParam::run(body(log)), 7);
  EXPECT_EQ(*log, (Log{"background cancelled", "~background"}));
}

// ---- A deadlock over two locks that are main's locals (sim only: the real loop waits) ----

Task<void> take_both(Lock& first, Lock& second, bool guards) {
  if (guards) {
    auto g1 = co_await first.scoped();
    co_await sleep(0.01);
    auto g2 = co_await second.scoped();
  } else {
    co_await first.acquire();
    co_await sleep(0.01);
    co_await second.acquire();
    second.release();
    first.release();
  }
}

enum class MainWaits { kEachInTurn, kGather, kEvent };

Task<void> two_locks(SharedLog log, bool guards, MainWaits how) {
  Sentinel sentinel{log, "main"};
  Lock a("a");
  Lock b("b");
  Event never("never");
  auto w1 = create_task(logged(log, "w1", take_both(a, b, guards)), "w1");
  auto w2 = create_task(logged(log, "w2", take_both(b, a, guards)), "w2");
  switch (how) {
    case MainWaits::kEachInTurn:
      co_await w1;
      co_await w2;
      break;
    case MainWaits::kGather: {
      auto both = gather(w1, w2);
      co_await std::move(both);
      break;
    }
    case MainWaits::kEvent:
      co_await never.wait();
      break;
  }
}

TEST(TeardownSimTest, TwoLocksDeadlockOverMainsLocalsIsReportedAndTornDownSafely) {
  int runs = 0;
  for (bool guards : {false, true}) {
    for (MainWaits how : {MainWaits::kEachInTurn, MainWaits::kGather, MainWaits::kEvent}) {
      for (uint64_t seed = 0; seed < 100; ++seed) {
        auto log = std::make_shared<Log>();
        const auto strategy = seed % 2 ? sim::Strategy::kRandom : sim::Strategy::kFifo;
        auto result = sim::run(two_locks(log, guards, how), {.seed = seed, .strategy = strategy});
        const std::string where = "seed " + std::to_string(seed) + " guards " +
                                  std::to_string(guards) + " how " +
                                  std::to_string(static_cast<int>(how));
        ASSERT_FALSE(result.ok()) << where;
        try {
          result.value();
          ADD_FAILURE() << where;
        } catch (const DeadlockError& e) {
          const std::string what = e.what();
          EXPECT_THAT(what, HasSubstr("deadlock at t=0.010000000s")) << where;
          EXPECT_THAT(what, HasSubstr("task 'w1' (id 2) awaits Lock.acquire on 'b' (held by task "
                                      "'w2', 1 waiter)"))
              << where;
          EXPECT_THAT(what, HasSubstr("task 'w2' (id 3) awaits Lock.acquire on 'a' (held by task "
                                      "'w1', 1 waiter)"))
              << where;
        }
        // Nothing ran after the deadlock; the workers went before the main whose locks they use.
        ASSERT_EQ(*log, (Log{"~w2", "~w1", "~main"})) << where;
        ++runs;
      }
    }
  }
  EXPECT_EQ(runs, 600);
}

}  // namespace
}  // namespace weft
