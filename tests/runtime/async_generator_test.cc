// AsyncGenerator: `async for` on both loops.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class AsyncGeneratorTest : public ::testing::Test {};
TYPED_TEST_SUITE(AsyncGeneratorTest, testing::Worlds, testing::WorldNames);

AsyncGenerator<int> ticks(int n) {
  for (int i = 0; i < n; ++i) {
    co_await sleep(0.001);
    co_yield i;
  }
}

TYPED_TEST(AsyncGeneratorTest, YieldsEveryValueThenEnds) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<int> out;
    auto gen = ticks(4);
    while (auto v = co_await gen.next()) out.push_back(*v);
    auto after_end = co_await gen.next();
    EXPECT_FALSE(after_end.has_value());
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{0, 1, 2, 3}));
}

TYPED_TEST(AsyncGeneratorTest, ExceptionInBodyReachesConsumer) {
  auto body = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> log;
    auto gen = []() -> AsyncGenerator<std::string> {
      co_yield "a";
      co_await sleep(0);
      throw ValueError("gen broke");
    }();
    try {
      while (auto v = co_await gen.next()) log.push_back(*v);
    } catch (const ValueError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<std::string>{"a", "gen broke"}));
}

TYPED_TEST(AsyncGeneratorTest, DestroyingEarlyRunsDestructors) {
  auto body = []() -> Task<int> {
    int cleaned = 0;
    {
      auto gen = [](int& c) -> AsyncGenerator<int> {
        struct Guard {
          int& c;
          ~Guard() { ++c; }
        } g{c};
        for (int i = 0;; ++i) co_yield i;
      }(cleaned);
      co_await gen.next();
      co_await gen.next();
    }
    co_return cleaned;
  };
  EXPECT_EQ(TypeParam::run(body()), 1);
}

TYPED_TEST(AsyncGeneratorTest, CancellationWhileGeneratorAwaitsReachesConsumer) {
  auto body = []() -> Task<std::string> {
    auto consumer = create_task([]() -> Task<void> {
      auto gen = ticks(1000);
      while (auto v = co_await gen.next()) {
      }
    }());
    co_await sleep(0.0025);
    consumer.cancel();
    try {
      co_await consumer;
    } catch (const CancelledError&) {
      co_return "cancelled";
    }
    co_return "finished";
  };
  EXPECT_EQ(TypeParam::run(body()), "cancelled");
}

}  // namespace
}  // namespace weft
