// Out-of-range numeric arguments of the runtime's free functions, on both loops: negative delays
// and timeouts behave as asyncio's (as 0), far and infinite deadlines never come (they used to
// overflow into the past), and an empty random range is a ValueError instead of any int64.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/buggify.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class ArgumentTest : public ::testing::Test {};
TYPED_TEST_SUITE(ArgumentTest, testing::Worlds, testing::WorldNames);
// The tests of ArgumentFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class ArgumentFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(ArgumentFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;
constexpr double kInf = std::numeric_limits<double>::infinity();

Task<int> after(double delay, int v) {
  co_await sleep(delay);
  co_return v;
}

// asyncio.sleep(-1) returns at once (it only yields).
TYPED_TEST(ArgumentTest, SleepWithANegativeDelayReturnsAtOnce) {
  auto body = []() -> Task<double> {
    EventLoop& loop = get_running_loop();
    const double start = loop.time();
    co_await sleep(-1);
    co_await sleep(-kInf);
    co_await sleep(std::chrono::milliseconds(-5));
    co_return loop.time() - start;
  };
  const double elapsed = TypeParam::run(body());
  if (TypeParam::kSimulated) {
    EXPECT_EQ(elapsed, 0);
  } else {
    EXPECT_LT(elapsed, 30);  // a wide margin: only "did not wait for a timer" is meant
  }
}

// asyncio 3.12 wait_for: a timeout <= 0 cancels what is pending and raises TimeoutError at once;
// what is done already gives its result.
TYPED_TEST(ArgumentFifoTest, WaitForWithANegativeTimeoutBehavesAsZero) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await wait_for([](Log& l) -> Task<int> {
        l.push_back("coroutine ran");
        co_return 1;
      }(log), -1);
    } catch (const TimeoutError&) {
      log.push_back("coroutine: TimeoutError");
    }
    auto pending = create_task(after(3600, 2));
    try {
      co_await wait_for(pending, -0.5);
    } catch (const TimeoutError&) {
      log.push_back(absl::StrCat("task: TimeoutError, cancelled=", pending.cancelled()));
    }
    Future<int> fut = get_running_loop().create_future<int>();
    try {
      co_await wait_for(fut, -kInf);
    } catch (const TimeoutError&) {
      log.push_back(absl::StrCat("future: TimeoutError, cancelled=", fut.cancelled()));
    }
    auto finished = create_task(after(0, 3));
    co_await sleep(0);
    co_await sleep(0);
    const int v = co_await wait_for(finished, -1);
    Future<int> set = get_running_loop().create_future<int>();
    set.set_result(4);
    const int w = co_await wait_for(set, -1);
    log.push_back(absl::StrCat("done ones: ", v, " ", w));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"coroutine: TimeoutError", "task: TimeoutError, cancelled=1",
                 "future: TimeoutError, cancelled=1", "done ones: 3 4"}));
}

// asyncio.wait(timeout=-1) returns at once with what is done, cancelling nothing;
// as_completed(timeout=-1) raises TimeoutError from the first next() with nothing done.
TYPED_TEST(ArgumentTest, WaitAndAsCompletedWithANegativeTimeoutReturnAtOnce) {
  auto body = []() -> Task<Log> {
    Log log;
    std::vector<TaskHandle<int>> ts{create_task(after(3600, 1))};
    auto r = co_await wait(ts, -1.0);
    log.push_back(absl::StrCat("wait: done=", r.done.size(), " pending=", r.pending.size(),
                               " cancelled=", ts[0].cancelled()));
    auto it = as_completed(ts, -1.0);
    try {
      while (auto t = co_await it.next()) log.push_back("yielded");
    } catch (const TimeoutError&) {
      log.push_back("as_completed: TimeoutError");
    }
    ts[0].cancel();
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"wait: done=0 pending=1 cancelled=0", "as_completed: TimeoutError"}));
}

// asyncio.timeout_at(loop.time() + 1e12) and timeout_at(math.inf) never expire. weft converted the
// deadline with an unchecked llround, which gives INT64_MIN past int64's range: an immediate
// TimeoutError.
TYPED_TEST(ArgumentTest, FarAndInfiniteDeadlinesNeverExpire) {
  auto body = []() -> Task<Log> {
    Log log;
    const double now = get_running_loop().time();
    int a = co_await timeout_at(now + 1e12, after(0.001, 1));
    int b = co_await timeout_at(kInf, after(0.001, 2));
    int c = co_await timeout(kInf, after(0.001, 3));
    log.push_back(absl::StrCat("values ", a, " ", b, " ", c));
    co_await timeout(1.0, [&](Timeout& t) -> Task<void> {
      t.reschedule(kInf);
      log.push_back(absl::StrCat("when after reschedule(inf): ", *t.when()));
      co_await sleep(0.001);
      log.push_back(absl::StrCat("expired: ", t.expired()));
    });
    co_await timeout_at(kInf, [&](Timeout& t) -> Task<void> {
      log.push_back(absl::StrCat("timeout_at(inf).when(): ", *t.when()));
      co_return;
    });
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"values 1 2 3", "when after reschedule(inf): inf", "expired: 0",
                 "timeout_at(inf).when(): inf"}));
}

// A deadline of -inf is in the past: it expires at the first suspension, as any past deadline.
TYPED_TEST(ArgumentTest, MinusInfiniteDeadlineExpiresAtOnce) {
  auto body = []() -> Task<std::string> {
    try {
      co_await timeout_at(-kInf, after(3600, 1));
    } catch (const TimeoutError&) {
      co_return "TimeoutError";
    }
    co_return "no timeout";
  };
  EXPECT_EQ(TypeParam::run(body()), "TimeoutError");
}

// Python's randint(5, 3) raises ValueError; uniform_int(5, 3) returned any int64.
TYPED_TEST(ArgumentTest, UniformIntRejectsAnEmptyRange) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      int64_t v = random().uniform_int(5, 3);
      log.push_back(absl::StrCat("returned ", v));
    } catch (const ValueError& e) {
      log.push_back(e.what());
    }
    log.push_back(absl::StrCat("single value: ", random().uniform_int(-7, -7)));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"uniform_int: empty range [5, 3]", "single value: -7"}));
}

}  // namespace
}  // namespace weft
