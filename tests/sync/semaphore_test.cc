// Semaphore on both loops: counting, FIFO service, cancellation while waiting and after a unit
// was handed over, the scoped guard, descriptions.
#include "runtime/sync/semaphore.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class SemaphoreTest : public ::testing::Test {};
TYPED_TEST_SUITE(SemaphoreTest, testing::Worlds, testing::WorldNames);
// The tests of SemaphoreFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class SemaphoreFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(SemaphoreFifoTest, testing::FifoWorlds, testing::WorldNames);

// Acquires, logs, yields once, releases.
Task<void> user(Semaphore& s, Log& log, std::string who) {
  try {
    co_await s.acquire();
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  }
  log.push_back(absl::StrCat(who, " acquired"));
  co_await sleep(0);
  log.push_back(absl::StrCat(who, " releases"));
  s.release();
}

// Acquires and keeps the unit.
Task<void> taker(Semaphore& s, Log& log, std::string who) {
  try {
    co_await s.acquire();
    log.push_back(absl::StrCat(who, " acquired"));
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  }
}

Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // Expected: the tests check the log and t.cancelled().
  }
}

TYPED_TEST(SemaphoreTest, AcquireDecrementsReleaseIncrements) {
  auto body = []() -> Task<Log> {
    Semaphore s(2);
    Log log;
    co_await s.acquire();
    log.push_back(absl::StrCat("value=", s.value(), " locked=", s.locked()));
    co_await s.acquire();
    log.push_back(absl::StrCat("value=", s.value(), " locked=", s.locked()));
    s.release();
    s.release();
    s.release();  // a plain Semaphore may grow past its start value
    log.push_back(absl::StrCat("value=", s.value(), " locked=", s.locked()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"value=1 locked=0", "value=0 locked=1", "value=3 locked=0"}));
}

TYPED_TEST(SemaphoreTest, NegativeInitialValueRaisesValueError) {
  auto body = []() -> Task<std::string> {
    try {
      Semaphore s(-1);
    } catch (const ValueError& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(TypeParam::run(body()), "Semaphore initial value must be >= 0");
}

TYPED_TEST(SemaphoreFifoTest, AtMostValueHoldersAndFifoService) {
  auto body = []() -> Task<Log> {
    Semaphore s(2);
    Log log;
    auto a = create_task(user(s, log, "a"));
    auto b = create_task(user(s, log, "b"));
    auto c = create_task(user(s, log, "c"));
    auto d = create_task(user(s, log, "d"));
    co_await a;
    co_await b;
    co_await c;
    co_await d;
    log.push_back(absl::StrCat("value=", s.value()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"a acquired", "b acquired", "a releases", "b releases", "c acquired", "d acquired",
                 "c releases", "d releases", "value=2"}));
}

TYPED_TEST(SemaphoreFifoTest, NewcomerQueuesBehindAWokenWaiter) {
  auto body = []() -> Task<Log> {
    Semaphore s(0);
    Log log;
    auto t1 = create_task(taker(s, log, "t1"));
    co_await sleep(0);
    s.release();  // the unit is reserved for t1
    log.push_back(absl::StrCat("value=", s.value(), " locked=", s.locked()));
    auto t2 = create_task(taker(s, log, "t2"));
    co_await t1;
    co_await sleep(0);
    log.push_back(absl::StrCat("t2 done=", t2.done()));
    s.release();
    co_await t2;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"value=0 locked=1", "t1 acquired", "t2 done=0", "t2 acquired"}));
}

TYPED_TEST(SemaphoreFifoTest, CancelledWhileWaitingLeavesTheValueAlone) {
  auto body = []() -> Task<Log> {
    Semaphore s(0, "pool");
    Log log;
    auto t1 = create_task(taker(s, log, "t1"));
    auto t2 = create_task(taker(s, log, "t2"));
    co_await sleep(0);
    log.push_back(t1.core()->waiting_on());
    t1.cancel();
    co_await settle(t1);
    log.push_back(absl::StrCat("value=", s.value()));
    log.push_back(t2.core()->waiting_on());
    s.release();
    co_await t2;
    log.push_back(absl::StrCat("value=", s.value()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"Semaphore.acquire on 'pool' (value 0, 2 waiters)", "t1 cancelled", "value=0",
                 "Semaphore.acquire on 'pool' (value 0, 1 waiter)", "t2 acquired", "value=0"}));
}

TYPED_TEST(SemaphoreFifoTest, CancelledAfterWakeUpHandsTheUnitOn) {
  auto body = []() -> Task<Log> {
    Semaphore s(0);
    Log log;
    auto t1 = create_task(taker(s, log, "t1"));
    auto t2 = create_task(taker(s, log, "t2"));
    co_await sleep(0);
    s.release();  // wakes t1 ...
    t1.cancel();  // ... which gives the unit back and wakes t2
    co_await settle(t1);
    co_await t2;
    log.push_back(absl::StrCat("value=", s.value()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"t1 cancelled", "t2 acquired", "value=0"}));
}

TYPED_TEST(SemaphoreFifoTest, CancelledAfterWakeUpWithNobodyElseRestoresTheValue) {
  auto body = []() -> Task<Log> {
    Semaphore s(0);
    Log log;
    auto t1 = create_task(taker(s, log, "t1"));
    co_await sleep(0);
    s.release();
    t1.cancel();
    co_await settle(t1);
    log.push_back(absl::StrCat("value=", s.value(), " locked=", s.locked()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"t1 cancelled", "value=1 locked=0"}));
}

TYPED_TEST(SemaphoreFifoTest, EachReleaseWakesOneWaiterInOrder) {
  auto body = []() -> Task<Log> {
    Semaphore s(0);
    Log log;
    auto t1 = create_task(taker(s, log, "t1"));
    auto t2 = create_task(taker(s, log, "t2"));
    auto t3 = create_task(taker(s, log, "t3"));
    co_await sleep(0);
    s.release();
    s.release();
    co_await t1;
    co_await t2;
    log.push_back(absl::StrCat("t3 done=", t3.done()));
    s.release();
    co_await t3;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"t1 acquired", "t2 acquired", "t3 done=0", "t3 acquired"}));
}

TYPED_TEST(SemaphoreTest, ScopedGuardReleases) {
  auto body = []() -> Task<Log> {
    Semaphore s(1);
    Log log;
    {
      auto guard = co_await s.scoped();
      log.push_back(absl::StrCat("value=", s.value()));
    }
    log.push_back(absl::StrCat("value=", s.value()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"value=0", "value=1"}));
}

}  // namespace
}  // namespace weft
