// timeout / timeout_at scopes and wait_for: asyncio semantics on both loops.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class TimeoutTest : public ::testing::Test {};
TYPED_TEST_SUITE(TimeoutTest, testing::Worlds, testing::WorldNames);

using Log = std::vector<std::string>;

Task<void> sleep_forever() { co_await sleep(3600); }

Task<int> after(double delay, int v) {
  co_await sleep(delay);
  co_return v;
}

TYPED_TEST(TimeoutTest, WaitForReturnsResultInTime) {
  auto body = []() -> Task<int> { co_return co_await wait_for(after(0.001, 7), 30.0); };
  EXPECT_EQ(TypeParam::run(body()), 7);
}

TYPED_TEST(TimeoutTest, WaitForNulloptWaitsForever) {
  auto body = []() -> Task<int> { co_return co_await wait_for(after(0.001, 8), std::nullopt); };
  EXPECT_EQ(TypeParam::run(body()), 8);
}

TYPED_TEST(TimeoutTest, WaitForTimesOutAndCancelsInner) {
  auto body = []() -> Task<Log> {
    Log log;
    auto inner = create_task([](Log& l) -> Task<int> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        l.push_back("inner cancelled");
        throw;
      }
      co_return 1;
    }(log));
    try {
      co_await wait_for(inner, 0.002);
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    log.push_back(inner.cancelled() ? "inner.cancelled" : "inner not cancelled");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"inner cancelled", "TimeoutError", "inner.cancelled"}));
}

TYPED_TEST(TimeoutTest, WaitForZeroTimeoutOnUnstartedCoroutineNeverRunsIt) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await wait_for([](Log& l) -> Task<int> {
        l.push_back("ran");
        co_return 1;
      }(log), 0);
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"TimeoutError"}));
}

TYPED_TEST(TimeoutTest, WaitForReturnsValueIfInnerSuppressesCancellation) {
  auto body = []() -> Task<int> {
    co_return co_await wait_for([]() -> Task<int> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        co_return 99;  // refuses to be cancelled
      }
      co_return 0;
    }(), 0.001);
  };
  EXPECT_EQ(TypeParam::run(body()), 99);
}

TYPED_TEST(TimeoutTest, CancellingWaitForCancelsInnerAndRaisesCancelledError) {
  auto body = []() -> Task<Log> {
    Log log;
    auto inner = create_task(after(10, 1));
    auto outer = create_task(wait_for(inner, 5.0));
    co_await sleep(0.001);
    outer.cancel();
    try {
      co_await outer;
    } catch (const CancelledError&) {
      log.push_back("outer CancelledError");
    } catch (const TimeoutError&) {
      log.push_back("outer TimeoutError");
    }
    log.push_back(inner.cancelled() ? "inner cancelled" : "inner alive");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"outer CancelledError", "inner cancelled"}));
}

TYPED_TEST(TimeoutTest, TimeoutScopeConvertsItsCancellation) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await timeout(0.002, [&](Timeout& t) -> Task<void> {
        log.push_back(t.when().has_value() ? "has deadline" : "no deadline");
        co_await sleep(10);
        log.push_back("not reached");
      });
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    EXPECT_EQ(current_task().cancelling(), 0);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"has deadline", "TimeoutError"}));
}

TYPED_TEST(TimeoutTest, TimeoutScopeWithoutDeadlineAndReschedule) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await timeout(std::nullopt, [&](Timeout& t) -> Task<void> {
        co_await sleep(0.001);
        t.reschedule(get_running_loop().time() + 0.001);
        co_await sleep(10);
      });
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError after reschedule");
    }
    int v = co_await timeout(30.0, after(0.001, 3));
    log.push_back("value " + std::to_string(v));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"TimeoutError after reschedule", "value 3"}));
}

TYPED_TEST(TimeoutTest, TimeoutAtInThePastExpiresAtFirstSuspension) {
  auto body = []() -> Task<Log> {
    Log log;
    const double past = get_running_loop().time() - 1;
    try {
      co_await timeout_at(past, [&](Timeout&) -> Task<void> {
        log.push_back("body starts");
        co_await sleep(1);
      });
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"body starts", "TimeoutError"}));
}

TYPED_TEST(TimeoutTest, OuterCancellationPassesThroughTimeoutScope) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([](Log& l) -> Task<void> {
      try {
        co_await timeout(5.0, sleep_forever());
      } catch (const TimeoutError&) {
        l.push_back("TimeoutError");
      } catch (const CancelledError&) {
        l.push_back("CancelledError");
        throw;
      }
    }(log));
    co_await sleep(0.001);
    t.cancel();
    try {
      co_await t;
    } catch (const CancelledError&) {
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"CancelledError"}));
}

TYPED_TEST(TimeoutTest, NestedTimeoutsReportTheRightScope) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await timeout(0.002, [&](Timeout&) -> Task<void> {
        try {
          co_await timeout(5.0, sleep_forever());
        } catch (const TimeoutError&) {
          log.push_back("inner TimeoutError (wrong)");
        }
      });
    } catch (const TimeoutError&) {
      log.push_back("outer TimeoutError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"outer TimeoutError"}));
}

}  // namespace
}  // namespace weft
