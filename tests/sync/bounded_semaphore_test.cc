// BoundedSemaphore on both loops: the bound on release(), Semaphore behaviour otherwise.
#include "runtime/sync/bounded_semaphore.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class BoundedSemaphoreTest : public ::testing::Test {};
TYPED_TEST_SUITE(BoundedSemaphoreTest, testing::Worlds, testing::WorldNames);
// The tests of BoundedSemaphoreFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class BoundedSemaphoreFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(BoundedSemaphoreFifoTest, testing::FifoWorlds, testing::WorldNames);

TYPED_TEST(BoundedSemaphoreTest, ReleaseAboveTheBoundRaisesValueError) {
  auto body = []() -> Task<Log> {
    BoundedSemaphore s(2);
    Log log;
    try {
      s.release();
    } catch (const ValueError& e) {
      log.push_back(e.what());
    }
    co_await s.acquire();
    s.release();
    log.push_back(absl::StrCat("value=", s.value()));
    Semaphore& base = s;  // the bound holds through the base class too
    try {
      base.release();
    } catch (const ValueError& e) {
      log.push_back(absl::StrCat("via base: ", e.what()));
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"BoundedSemaphore released too many times", "value=2",
                                         "via base: BoundedSemaphore released too many times"}));
}

// asyncio.BoundedSemaphore(-1) raises Semaphore's ValueError (the value is signed here too).
TYPED_TEST(BoundedSemaphoreTest, NegativeInitialValueRaisesValueError) {
  auto body = []() -> Task<std::string> {
    try {
      BoundedSemaphore s(-1);
      co_return absl::StrCat("accepted, value=", s.value());
    } catch (const ValueError& e) {
      co_return e.what();
    }
  };
  EXPECT_EQ(TypeParam::run(body()), "Semaphore initial value must be >= 0");
}

TYPED_TEST(BoundedSemaphoreFifoTest, WaitsAndDescribesLikeASemaphore) {
  auto body = []() -> Task<Log> {
    BoundedSemaphore s(1, "b");
    Log log;
    auto holder = [](BoundedSemaphore& s, Log& log) -> Task<void> {
      auto guard = co_await s.scoped();
      log.push_back("holder in");
      co_await sleep(0);
      log.push_back("holder out");
    };
    auto waiter = [](BoundedSemaphore& s, Log& log) -> Task<void> {
      auto guard = co_await s.scoped();
      log.push_back("waiter in");
    };
    auto h = create_task(holder(s, log));
    auto w = create_task(waiter(s, log));
    co_await sleep(0);
    log.push_back(w.core()->waiting_on());
    co_await h;
    co_await w;
    log.push_back(absl::StrCat("value=", s.value()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"holder in", "BoundedSemaphore.acquire on 'b' (value 0, 1 waiter)", "holder out",
                 "waiter in", "value=1"}));
}

}  // namespace
}  // namespace weft
