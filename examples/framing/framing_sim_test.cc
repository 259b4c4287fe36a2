// The framing bug under the simulated network: partial reads chosen by the seed reveal it in
// the first few seeds; the fixed server passes 10,000 seeds (ten shards of 1,000).
#include <gtest/gtest.h>

#include <string>

#include "examples/framing/framing.h"
#include "sim/run.h"

namespace weft::examples::framing {
namespace {

sim::SimConfig random_config(uint64_t seed) {
  sim::SimConfig config;
  config.seed = seed;
  config.strategy = sim::Strategy::kRandom;
  return config;
}

TEST(FramingSimTest, TheBuggyServerIsCaughtWithinAHundredSeeds) {
  int first_failure = -1;
  std::string what;
  uint64_t digest = 0;
  for (uint64_t seed = 0; seed < 100 && first_failure < 0; ++seed) {
    auto result = sim::run([] { return session("127.0.0.1", /*buggy=*/true); },
                           random_config(seed));
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    if (!result.value().empty()) {
      first_failure = static_cast<int>(seed);
      what = result.value();
      digest = result.digest;
    }
  }
  ASSERT_GE(first_failure, 0) << "no seed below 100 revealed the framing bug";
  EXPECT_LT(first_failure, 100);
  // The failing seed replays exactly.
  auto again = sim::run([] { return session("127.0.0.1", /*buggy=*/true); },
                        random_config(static_cast<uint64_t>(first_failure)));
  EXPECT_EQ(again.value(), what);
  EXPECT_EQ(again.digest, digest);
  std::cout << "framing bug caught at seed " << first_failure << ": " << what << "\n";
}

class FixedServerSweep : public ::testing::TestWithParam<int> {};

TEST_P(FixedServerSweep, PassesEverySeed) {
  const uint64_t first = static_cast<uint64_t>(GetParam()) * 1000;
  for (uint64_t seed = first; seed < first + 1000; ++seed) {
    auto result = sim::run([] { return session("127.0.0.1", /*buggy=*/false); },
                           random_config(seed));
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    ASSERT_EQ(result.value(), "") << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(TenThousandSeeds, FixedServerSweep, ::testing::Range(0, 10));

}  // namespace
}  // namespace weft::examples::framing
