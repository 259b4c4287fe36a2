// Barrier on both loops: arrival indices, rounds, n_waiting, abort, reset, cancellation,
// descriptions.
#include "runtime/sync/barrier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class BarrierTest : public ::testing::Test {};
TYPED_TEST_SUITE(BarrierTest, testing::Worlds, testing::WorldNames);
// The tests of BarrierFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class BarrierFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(BarrierFifoTest, testing::FifoWorlds, testing::WorldNames);

Task<void> party(Barrier& b, Log& log, std::string who) {
  try {
    size_t index = co_await b.wait();
    log.push_back(absl::StrCat(who, " passed ", index));
  } catch (const BrokenBarrierError&) {
    log.push_back(absl::StrCat(who, " broken"));
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

TYPED_TEST(BarrierFifoTest, PartiesMeetAndGetArrivalIndices) {
  auto body = []() -> Task<Log> {
    Barrier b(3, "sync");
    Log log;
    auto t0 = create_task(party(b, log, "t0"));
    auto t1 = create_task(party(b, log, "t1"));
    co_await sleep(0);
    log.push_back(absl::StrCat("n_waiting=", b.n_waiting(), " parties=", b.parties()));
    log.push_back(t1.core()->waiting_on());
    auto t2 = create_task(party(b, log, "t2"));
    co_await t0;
    co_await t1;
    co_await t2;
    log.push_back(absl::StrCat("n_waiting=", b.n_waiting(), " broken=", b.broken()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"n_waiting=2 parties=3", "Barrier.wait on 'sync' (2/3 waiting, filling)",
                 "t2 passed 2", "t0 passed 0", "t1 passed 1", "n_waiting=0 broken=0"}));
}

TYPED_TEST(BarrierFifoTest, IsReusableRoundAfterRound) {
  // c re-enters wait() while round 0 still drains, blocks until a has left, then arrives
  // second again: each round ends in the same order.
  auto body = []() -> Task<Log> {
    Barrier b(2);
    Log log;
    auto looper = [](Barrier& b, Log& log, std::string who) -> Task<void> {
      for (int round = 0; round < 3; ++round) {
        size_t index = co_await b.wait();
        log.push_back(absl::StrCat(who, " round ", round, " index ", index));
      }
    };
    auto a = create_task(looper(b, log, "a"));
    auto c = create_task(looper(b, log, "c"));
    co_await a;
    co_await c;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"c round 0 index 1", "a round 0 index 0", "c round 1 index 1", "a round 1 index 0",
                 "c round 2 index 1", "a round 2 index 0"}));
}

TYPED_TEST(BarrierTest, SinglePartyNeverWaits) {
  auto body = []() -> Task<size_t> {
    Barrier b(1);
    size_t first = co_await b.wait();
    size_t second = co_await b.wait();
    co_return first + second;
  };
  EXPECT_EQ(TypeParam::run(body()), 0u);
}

TYPED_TEST(BarrierTest, ZeroPartiesRaisesValueError) {
  auto body = []() -> Task<std::string> {
    try {
      Barrier b(0);
    } catch (const ValueError& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(TypeParam::run(body()), "parties must be > 0");
}

// asyncio raises ValueError for any parties < 1; a size_t parameter turned -4 into 2^64-4 and
// built a barrier no round could ever fill.
TYPED_TEST(BarrierTest, NegativePartiesRaisesValueError) {
  auto body = []() -> Task<std::string> {
    try {
      Barrier b(-4);
      co_return absl::StrCat("accepted, parties=", b.parties());
    } catch (const ValueError& e) {
      co_return e.what();
    }
  };
  EXPECT_EQ(TypeParam::run(body()), "parties must be > 0");
}

TYPED_TEST(BarrierFifoTest, AbortBreaksWaitersAndLaterCallsUntilReset) {
  auto body = []() -> Task<Log> {
    Barrier b(3);
    Log log;
    auto t0 = create_task(party(b, log, "t0"));
    auto t1 = create_task(party(b, log, "t1"));
    co_await sleep(0);
    co_await b.abort();
    co_await t0;
    co_await t1;
    log.push_back(absl::StrCat("broken=", b.broken()));
    co_await party(b, log, "late");
    co_await b.reset();
    log.push_back(absl::StrCat("broken=", b.broken(), " n_waiting=", b.n_waiting()));
    auto a = create_task(party(b, log, "a"));
    auto c = create_task(party(b, log, "c"));
    auto d = create_task(party(b, log, "d"));
    co_await a;
    co_await c;
    co_await d;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"t0 broken", "t1 broken", "broken=1", "late broken", "broken=0 n_waiting=0",
                 "d passed 2", "a passed 0", "c passed 1"}));
}

TYPED_TEST(BarrierFifoTest, ResetBreaksTheCurrentRoundOnly) {
  auto body = []() -> Task<Log> {
    Barrier b(2);
    Log log;
    auto t0 = create_task(party(b, log, "t0"));
    co_await sleep(0);
    co_await b.reset();
    co_await t0;
    log.push_back(absl::StrCat("broken=", b.broken()));
    auto a = create_task(party(b, log, "a"));
    auto c = create_task(party(b, log, "c"));
    co_await a;
    co_await c;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"t0 broken", "broken=0", "c passed 1", "a passed 0"}));
}

TYPED_TEST(BarrierFifoTest, CancelledWaiterLeavesTheRound) {
  auto body = []() -> Task<Log> {
    Barrier b(2);
    Log log;
    auto t0 = create_task(party(b, log, "t0"));
    co_await sleep(0);
    log.push_back(absl::StrCat("n_waiting=", b.n_waiting()));
    t0.cancel();
    co_await settle(t0);
    log.push_back(absl::StrCat("n_waiting=", b.n_waiting(), " broken=", b.broken()));
    auto a = create_task(party(b, log, "a"));
    auto c = create_task(party(b, log, "c"));
    co_await a;
    co_await c;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"n_waiting=1", "t0 cancelled", "n_waiting=0 broken=0",
                                         "c passed 1", "a passed 0"}));
}

}  // namespace
}  // namespace weft
