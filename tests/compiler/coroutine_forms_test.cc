// The two coroutine forms g++ 12 miscompiles (README "Compilers"), each next to its
// workaround. Under g++ 12 the test expects the miscompile (so it notices the day a compiler
// update fixes it, and the README must change); under any other compiler it expects correct
// code. The workarounds must work everywhere.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <utility>

#include "tests/testing/child_process.h"
#include "tests/testing/worlds.h"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
constexpr bool kGcc12 = true;
#else
constexpr bool kGcc12 = false;
#endif

namespace weft {
namespace {

using ::testing::HasSubstr;
using testing::run_child;

// ---- Form (a): `if (co_await f()) co_return x;` with f() finishing without suspending.

constexpr const char* kIfForm = "tests/compiler/if_co_await_co_return";

class IfCoAwaitFormTest : public ::testing::TestWithParam<const char*> {};

TEST_P(IfCoAwaitFormTest, ReturnsFromTheBranch) {
  const std::string mode = GetParam();
  auto r = run_child({kIfForm, mode});
  if (kGcc12 && mode == "nested-sim") {
    // The awaiting task is never resumed: a deadlock that is not there.
    EXPECT_TRUE(r.exited && r.exit_code == 1) << r.describe() << ", output: " << r.output;
    EXPECT_THAT(r.output, HasSubstr("error: deadlock at t=0.000000000s"));
    EXPECT_THAT(r.output, HasSubstr("awaits nothing (ready to run)"));
  } else if (kGcc12) {
    EXPECT_TRUE(!r.exited && r.signal == SIGILL)
        << "g++ 12 was expected to miscompile `if (co_await f()) co_return 1;` (SIGILL); got "
        << r.describe() << ", output: " << r.output;
  } else {
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe() << ", output: " << r.output;
    EXPECT_EQ(r.output, "result 1\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Loops, IfCoAwaitFormTest,
                         ::testing::Values("real", "sim", "nested-sim"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::erase(n, '-');
                           return n;
                         });

template <class W>
class CoroutineFormsTest : public ::testing::Test {};
TYPED_TEST_SUITE(CoroutineFormsTest, testing::Worlds, testing::WorldNames);

Task<bool> finishes_at_once() { co_return true; }

TYPED_TEST(CoroutineFormsTest, IfFormWorkaroundBindsTheResultToANamedLocal) {
  auto body = []() -> Task<int> {
    bool ready = co_await finishes_at_once();
    if (ready) co_return 1;
    co_return 0;
  };
  EXPECT_EQ(TypeParam::run(body()), 1);
}

// ---- Form (b): a temporary with a non-trivial destructor inside a co_await full-expression,
// here a lambda whose capture counts its own constructions and destructions, passed to a
// coroutine that calls it.

struct Counts {
  int constructed = 0;
  int destroyed = 0;
};

struct Counted {
  explicit Counted(Counts* c) : counts(c) { ++counts->constructed; }
  Counted(const Counted& o) : counts(o.counts) { ++counts->constructed; }
  Counted(Counted&& o) noexcept : counts(o.counts) { ++counts->constructed; }
  ~Counted() { ++counts->destroyed; }
  Counted& operator=(const Counted&) = delete;
  Counts* counts;
};

template <class F>
Task<int> call(F f) {
  int r = co_await f();
  co_return r;
}

TYPED_TEST(CoroutineFormsTest, LambdaTemporaryInsideCoAwaitIsDestroyedOnce) {
  Counts counts;
  auto body = [](Counts* c) -> Task<int> {
    co_return co_await call([held = Counted(c)]() -> Task<int> { co_return 7; });
  };
  EXPECT_EQ(TypeParam::run(body(&counts)), 7);
  if (kGcc12) {
    EXPECT_EQ(counts.destroyed, counts.constructed + 1)
        << "g++ 12 was expected to destroy the lambda temporary twice; constructed "
        << counts.constructed << ", destroyed " << counts.destroyed;
  } else {
    EXPECT_EQ(counts.destroyed, counts.constructed);
  }
}

TYPED_TEST(CoroutineFormsTest, LambdaWorkaroundBindsItToANamedLocal) {
  Counts counts;
  auto body = [](Counts* c) -> Task<int> {
    auto fn = [held = Counted(c)]() -> Task<int> { co_return 7; };
    Task<int> called = call(std::move(fn));
    co_return co_await std::move(called);
  };
  EXPECT_EQ(TypeParam::run(body(&counts)), 7);
  EXPECT_EQ(counts.destroyed, counts.constructed);
  EXPECT_GE(counts.constructed, 1);
}

}  // namespace
}  // namespace weft
