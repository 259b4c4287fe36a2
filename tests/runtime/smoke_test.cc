#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class SmokeTest : public ::testing::Test {};
TYPED_TEST_SUITE(SmokeTest, testing::Worlds, testing::WorldNames);

Task<int> add(int a, int b) {
  co_await sleep(0);
  co_return a + b;
}

Task<int> main_sum() {
  auto t = create_task(add(1, 2));
  int x = co_await add(3, 4);
  int y = co_await t;
  co_await sleep(0.001);
  co_return x + y;
}

TYPED_TEST(SmokeTest, Runs) { EXPECT_EQ(TypeParam::run(main_sum()), 10); }

}  // namespace
}  // namespace weft
