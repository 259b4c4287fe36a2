// Lock on both loops: FIFO fairness, cancellation while waiting and after being handed the lock,
// the scoped guard, RuntimeError on a bad release, descriptions; and a lock-order deadlock that
// the simulated loop reports with both tasks and both locks.
#include "runtime/sync/lock.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/sync/event.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class LockTest : public ::testing::Test {};
TYPED_TEST_SUITE(LockTest, testing::Worlds, testing::WorldNames);
// The tests of LockFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class LockFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(LockFifoTest, testing::FifoWorlds, testing::WorldNames);

// Takes the lock, logs, yields once, releases.
Task<void> locker(Lock& lock, Log& log, std::string who) {
  try {
    co_await lock.acquire();
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  }
  log.push_back(absl::StrCat(who, " acquired"));
  co_await sleep(0);
  log.push_back(absl::StrCat(who, " releases"));
  lock.release();
}

Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // Expected: the tests check the log and t.cancelled().
  }
}

TYPED_TEST(LockTest, AcquireAndRelease) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    log.push_back(absl::StrCat("locked=", lock.locked()));
    co_await lock.acquire();
    log.push_back(absl::StrCat("locked=", lock.locked()));
    lock.release();
    log.push_back(absl::StrCat("locked=", lock.locked()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"locked=0", "locked=1", "locked=0"}));
}

TYPED_TEST(LockTest, ReleasingAFreeLockRaisesRuntimeError) {
  auto body = []() -> Task<std::string> {
    Lock lock;
    try {
      lock.release();
    } catch (const RuntimeError& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(TypeParam::run(body()), "Lock is not acquired.");
}

TYPED_TEST(LockFifoTest, WaitersAcquireInFifoOrder) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    co_await lock.acquire();
    auto t1 = create_task(locker(lock, log, "t1"));
    auto t2 = create_task(locker(lock, log, "t2"));
    auto t3 = create_task(locker(lock, log, "t3"));
    co_await sleep(0);
    log.push_back("main releases");
    lock.release();
    co_await t3;
    co_await t2;
    co_await t1;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"main releases", "t1 acquired", "t1 releases", "t2 acquired", "t2 releases",
                 "t3 acquired", "t3 releases"}));
}

TYPED_TEST(LockFifoTest, NewcomerQueuesBehindAWokenWaiter) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    co_await lock.acquire();
    auto t1 = create_task(locker(lock, log, "t1"));
    co_await sleep(0);
    lock.release();  // hands the lock to t1, which has not run yet
    log.push_back(absl::StrCat("locked=", lock.locked()));
    co_await lock.acquire();  // free, but t1 is first in line
    log.push_back("main acquired");
    lock.release();
    co_await t1;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"locked=0", "t1 acquired", "t1 releases", "main acquired"}));
}

TYPED_TEST(LockFifoTest, WaiterCancelledWhileWaitingLeavesNoTrace) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    co_await lock.acquire();
    auto t1 = create_task(locker(lock, log, "t1"));
    co_await sleep(0);
    t1.cancel();
    co_await settle(t1);
    lock.release();
    log.push_back(absl::StrCat("locked=", lock.locked()));
    co_await locker(lock, log, "main");  // does not wait for the cancelled waiter
    log.push_back(absl::StrCat("locked=", lock.locked(), " t1 cancelled=", t1.cancelled()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"t1 cancelled", "locked=0", "main acquired",
                                         "main releases", "locked=0 t1 cancelled=1"}));
}

TYPED_TEST(LockFifoTest, WaiterCancelledAfterBeingHandedTheLockPassesItOn) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    co_await lock.acquire();
    auto t1 = create_task(locker(lock, log, "t1"));
    auto t2 = create_task(locker(lock, log, "t2"));
    co_await sleep(0);
    lock.release();  // wakes t1 ...
    t1.cancel();     // ... which is cancelled before it runs
    co_await settle(t1);
    co_await t2;
    log.push_back(absl::StrCat("locked=", lock.locked()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"t1 cancelled", "t2 acquired", "t2 releases", "locked=0"}));
}

TYPED_TEST(LockTest, ScopedGuardReleasesAtTheEndOfItsScope) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    {
      auto guard = co_await lock.scoped();
      log.push_back(absl::StrCat("in scope locked=", lock.locked(), " owns=", guard.owns()));
    }
    log.push_back(absl::StrCat("after scope locked=", lock.locked()));
    try {
      auto guard = co_await lock.scoped();
      throw std::runtime_error("boom");
    } catch (const std::runtime_error& e) {
      log.push_back(absl::StrCat(e.what(), " locked=", lock.locked()));
    }
    auto guard = co_await lock.scoped();
    guard.release();
    log.push_back(absl::StrCat("released early locked=", lock.locked(), " owns=", guard.owns()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"in scope locked=1 owns=1", "after scope locked=0",
                                         "boom locked=0", "released early locked=0 owns=0"}));
}

TYPED_TEST(LockFifoTest, GuardsSerialiseTasks) {
  auto body = []() -> Task<Log> {
    Lock lock;
    Log log;
    auto worker = [](Lock& lock, Log& log, std::string who) -> Task<void> {
      auto guard = co_await lock.scoped();
      log.push_back(absl::StrCat(who, " in"));
      co_await sleep(0);
      log.push_back(absl::StrCat(who, " out"));
    };
    auto a = create_task(worker(lock, log, "a"));
    auto b = create_task(worker(lock, log, "b"));
    co_await a;
    co_await b;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"a in", "a out", "b in", "b out"}));
}

TYPED_TEST(LockFifoTest, WaiterDescribesTheHolder) {
  auto body = []() -> Task<Log> {
    Lock lock("a");
    Log log;
    auto holder = [](Lock& lock, Event& go) -> Task<void> {
      co_await lock.acquire();
      co_await go.wait();
      lock.release();
    };
    Event go;
    auto w1 = create_task(holder(lock, go), "worker-1");
    co_await sleep(0);
    auto w2 = create_task(locker(lock, log, "w2"), "worker-2");
    co_await sleep(0);
    log.push_back(w2.core()->waiting_on());
    go.set();
    co_await w1;
    co_await w2;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"Lock.acquire on 'a' (held by task 'worker-1', 1 waiter)",
                                         "w2 acquired", "w2 releases"}));
}

// Two tasks take two locks in opposite orders with a yield in between: the simulated loop finds
// the deadlock and names both tasks and the locks they wait on.
Task<void> take_both(Lock& first, Lock& second) {
  co_await first.acquire();
  co_await sleep(0);
  co_await second.acquire();
  second.release();
  first.release();
}

Task<void> opposite_orders() {
  Lock a("a");
  Lock b("b");
  auto t1 = create_task(take_both(a, b), "t1");
  auto t2 = create_task(take_both(b, a), "t2");
  co_await t1;
  co_await t2;
}

TEST(LockDeadlockTest, SimulatedLoopReportsBothTasksAndLocks) {
  auto result = sim::run(opposite_orders());
  ASSERT_FALSE(result.ok());
  std::string message;
  try {
    result.value();
  } catch (const DeadlockError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("task 't1'"), std::string::npos) << message;
  EXPECT_NE(message.find("task 't2'"), std::string::npos) << message;
  EXPECT_NE(message.find("awaits Lock.acquire on 'b' (held by task 't2', 1 waiter)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("awaits Lock.acquire on 'a' (held by task 't1', 1 waiter)"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace weft
