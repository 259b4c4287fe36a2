// Event on both loops: set/clear/is_set, every waiter woken in order, cancellation, descriptions.
#include "runtime/sync/event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class EventTest : public ::testing::Test {};
TYPED_TEST_SUITE(EventTest, testing::Worlds, testing::WorldNames);
// The tests of EventFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class EventFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(EventFifoTest, testing::FifoWorlds, testing::WorldNames);

Task<void> waiter(Event& e, Log& log, std::string who) {
  try {
    co_await e.wait();
    log.push_back(absl::StrCat(who, " woken"));
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

TYPED_TEST(EventTest, WaitReturnsAtOnceWhenSet) {
  auto body = []() -> Task<Log> {
    Event e;
    Log log;
    log.push_back(absl::StrCat("is_set=", e.is_set()));
    e.set();
    log.push_back(absl::StrCat("is_set=", e.is_set()));
    co_await waiter(e, log, "main");
    e.clear();
    log.push_back(absl::StrCat("is_set=", e.is_set()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"is_set=0", "is_set=1", "main woken", "is_set=0"}));
}

TYPED_TEST(EventFifoTest, SetWakesEveryWaiterInOrder) {
  auto body = []() -> Task<Log> {
    Event e;
    Log log;
    auto w0 = create_task(waiter(e, log, "w0"));
    auto w1 = create_task(waiter(e, log, "w1"));
    auto w2 = create_task(waiter(e, log, "w2"));
    co_await sleep(0);
    log.push_back("set");
    e.set();
    co_await w2;
    co_await w1;
    co_await w0;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"set", "w0 woken", "w1 woken", "w2 woken"}));
}

TYPED_TEST(EventFifoTest, WaiterWokenBySetReturnsEvenIfClearedBeforeItRuns) {
  auto body = []() -> Task<Log> {
    Event e;
    Log log;
    auto w = create_task(waiter(e, log, "w"));
    co_await sleep(0);
    e.set();
    e.clear();
    co_await w;
    log.push_back(absl::StrCat("is_set=", e.is_set()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"w woken", "is_set=0"}));
}

TYPED_TEST(EventFifoTest, CancelledWaitLeavesTheEventUnchanged) {
  auto body = []() -> Task<Log> {
    Event e("ready");
    Log log;
    auto w1 = create_task(waiter(e, log, "w1"));
    auto w2 = create_task(waiter(e, log, "w2"));
    co_await sleep(0);
    log.push_back(w2.core()->waiting_on());
    w1.cancel();
    co_await settle(w1);
    log.push_back(w2.core()->waiting_on());
    e.set();
    co_await w2;
    log.push_back(absl::StrCat("is_set=", e.is_set()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"Event.wait on 'ready' (unset, 2 waiters)", "w1 cancelled",
                 "Event.wait on 'ready' (unset, 1 waiter)", "w2 woken", "is_set=1"}));
}

TYPED_TEST(EventFifoTest, CancelledAfterSetStillCancels) {
  // asyncio: a task cancelled after its wait() was satisfied but before it resumed gets
  // CancelledError; the event stays set for everyone else.
  auto body = []() -> Task<Log> {
    Event e;
    Log log;
    auto w1 = create_task(waiter(e, log, "w1"));
    auto w2 = create_task(waiter(e, log, "w2"));
    co_await sleep(0);
    e.set();
    w1.cancel();
    co_await settle(w1);
    co_await w2;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"w1 cancelled", "w2 woken"}));
}

}  // namespace
}  // namespace weft
