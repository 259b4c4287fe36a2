// Condition on both loops: the lock requirement, notify order, notify_all, wait_for, a shared
// lock, and cancellation (the lock is always re-acquired; a notification is never lost).
#include "runtime/sync/condition.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class ConditionTest : public ::testing::Test {};
TYPED_TEST_SUITE(ConditionTest, testing::Worlds, testing::WorldNames);
// The tests of ConditionFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class ConditionFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(ConditionFifoTest, testing::FifoWorlds, testing::WorldNames);

// Waits once for a notification, holding the lock around the wait.
Task<void> waiter(Condition& c, Log& log, std::string who) {
  auto guard = co_await c.scoped();
  try {
    co_await c.wait();
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled locked=", c.locked()));
    throw;
  }
  log.push_back(absl::StrCat(who, " notified locked=", c.locked()));
}

Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // Expected: the tests check the log and t.cancelled().
  }
}

TYPED_TEST(ConditionTest, WaitAndNotifyNeedTheLock) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    try {
      co_await c.wait();
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    try {
      c.notify();
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    try {
      c.notify_all();
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"cannot wait on un-acquired lock", "cannot notify on un-acquired lock",
                 "cannot notify on un-acquired lock"}));
}

TYPED_TEST(ConditionFifoTest, NotifyWakesWaitersOldestFirst) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    auto w0 = create_task(waiter(c, log, "w0"));
    auto w1 = create_task(waiter(c, log, "w1"));
    auto w2 = create_task(waiter(c, log, "w2"));
    co_await sleep(0);
    {
      auto guard = co_await c.scoped();
      c.notify(1);
      log.push_back("notified 1");
    }
    co_await w0;
    {
      auto guard = co_await c.scoped();
      c.notify(2);
      log.push_back("notified 2");
    }
    co_await w1;
    co_await w2;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"notified 1", "w0 notified locked=1", "notified 2",
                                         "w1 notified locked=1", "w2 notified locked=1"}));
}

// asyncio's notify(n) wakes min(n, waiters) and none for n <= 0; a size_t parameter turned
// notify(-1) into "wake 2^64-1", i.e. everyone.
TYPED_TEST(ConditionFifoTest, NotifyZeroOrNegativeWakesNobody) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    auto w0 = create_task(waiter(c, log, "w0"));
    auto w1 = create_task(waiter(c, log, "w1"));
    co_await sleep(0);
    {
      auto guard = co_await c.scoped();
      c.notify(0);
      c.notify(-1);
      c.notify(-5);
      log.push_back("notified 0, -1, -5");
    }
    for (int i = 0; i < 5; ++i) co_await sleep(0);
    {
      auto guard = co_await c.scoped();
      log.push_back(absl::StrCat("still waiting: ", !w0.done(), " ", !w1.done()));
      c.notify_all();
    }
    co_await w0;
    co_await w1;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"notified 0, -1, -5", "still waiting: 1 1", "w0 notified locked=1",
                 "w1 notified locked=1"}));
}

TYPED_TEST(ConditionFifoTest, NotifyAllWakesEveryWaiterWhichThenTakeTheLockInTurn) {
  auto body = []() -> Task<Log> {
    Condition c("c");
    Log log;
    auto w0 = create_task(waiter(c, log, "w0"));
    auto w1 = create_task(waiter(c, log, "w1"));
    co_await sleep(0);
    log.push_back(w1.core()->waiting_on());
    {
      auto guard = co_await c.scoped();
      c.notify_all();
      co_await sleep(0);  // the woken waiters now queue for the lock
      log.push_back("releasing");
    }
    co_await w0;
    co_await w1;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"Condition.wait on 'c' (2 waiters)", "releasing",
                                         "w0 notified locked=1", "w1 notified locked=1"}));
}

TYPED_TEST(ConditionFifoTest, WaitForReturnsOnceThePredicateHolds) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    int value = 0;
    auto consumer = [](Condition& c, Log& log, int& value) -> Task<void> {
      auto guard = co_await c.scoped();
      bool ok = co_await c.wait_for([&] {
        log.push_back(absl::StrCat("check ", value));
        return value >= 2;
      });
      log.push_back(absl::StrCat("done ok=", ok));
    };
    auto t = create_task(consumer(c, log, value));
    for (int i = 0; i < 3; ++i) {
      co_await sleep(0);
      auto guard = co_await c.scoped();
      ++value;
      c.notify();
    }
    co_await t;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"check 0", "check 1", "check 2", "done ok=1"}));
}

TYPED_TEST(ConditionFifoTest, CancelledWaiterReacquiresTheLockBeforeRaising) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    auto w = create_task(waiter(c, log, "w"));
    co_await sleep(0);
    co_await c.acquire();  // hold the lock so the cancelled waiter must wait for it
    w.cancel();
    co_await sleep(0);
    log.push_back(absl::StrCat("main releases, w done=", w.done()));
    c.release();
    co_await settle(w);
    log.push_back(absl::StrCat("locked=", c.locked(), " w cancelled=", w.cancelled()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"main releases, w done=0", "w cancelled locked=1", "locked=0 w cancelled=1"}));
}

TYPED_TEST(ConditionFifoTest, NotifiedWaiterThatIsCancelledPassesTheNotificationOn) {
  auto body = []() -> Task<Log> {
    Condition c;
    Log log;
    auto w1 = create_task(waiter(c, log, "w1"));
    auto w2 = create_task(waiter(c, log, "w2"));
    co_await sleep(0);
    co_await c.acquire();
    c.notify(1);  // wakes w1 ...
    w1.cancel();  // ... which is cancelled before it returns from wait()
    c.release();
    co_await settle(w1);
    co_await w2;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"w1 cancelled locked=1", "w2 notified locked=1"}));
}

TYPED_TEST(ConditionTest, SharesAGivenLock) {
  auto body = []() -> Task<Log> {
    Lock lock("shared");
    Condition c(lock, "c");
    Log log;
    co_await lock.acquire();
    log.push_back(absl::StrCat("cond locked=", c.locked(), " same lock=", &c.lock() == &lock));
    auto notifier = [](Condition& c) -> Task<void> {
      auto guard = co_await c.scoped();
      c.notify();
    };
    auto n = create_task(notifier(c));
    co_await c.wait();  // releases `lock`, so the notifier can run
    log.push_back(absl::StrCat("woken lock.locked=", lock.locked()));
    lock.release();
    co_await n;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"cond locked=1 same lock=1", "woken lock.locked=1"}));
}

}  // namespace
}  // namespace weft
