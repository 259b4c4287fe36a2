// How the both-worlds suites of tests/io run one behavioural test: once on the real loop, and on
// a simulated world under its own schedule plus a few more seeds of its strategy, each run twice
// to check that one config gives one digest. Pair with the fixture WorldFdCheckedTest<W>
// (fd_check.h), which checks the real world's open fds around every test.
#ifndef WEFT_TESTS_IO_WORLD_RUNS_H_
#define WEFT_TESTS_IO_WORLD_RUNS_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/errors.h"
#include "sim/run.h"
#include "sim/strategy.h"

namespace weft::testing {

// More seeds per simulated world, unless a test says otherwise: with the four simulated worlds
// of `Worlds` a test runs under 1 + kMoreSeeds fifo and 3 * (1 + kMoreSeeds) random schedules.
inline constexpr int kMoreSeeds = 9;

// W's own config, then `more_seeds` more of W's strategy (seeds W::kSeed + 100, + 200, ...): the
// worlds' seed sets stay disjoint.
template <class W>
std::vector<sim::SimConfig> sim_configs(int more_seeds) {
  std::vector<sim::SimConfig> out{W::config()};
  for (int i = 1; i <= more_seeds; ++i) {
    sim::SimConfig c = W::config();
    c.seed = W::kSeed + 100 * static_cast<uint64_t>(i);
    out.push_back(c);
  }
  return out;
}

inline std::string describe_config(const sim::SimConfig& c) {
  return std::string(sim::strategy_name(c.strategy)) + " seed " + std::to_string(c.seed);
}

// Runs `make_main()` (a callable returning Task<T>) on world W and calls `check(value, where)`
// for each run's value; `where` names the run ("epoll", "random seed 101").
template <class W, class F, class Check>
void check_runs(F make_main, Check check, int more_seeds = kMoreSeeds) {
  if constexpr (!W::kSimulated) {
    check(W::run(make_main()), std::string("epoll"));
  } else {
    for (const sim::SimConfig& config : sim_configs<W>(more_seeds)) {
      const std::string where = describe_config(config);
      auto result = sim::run(make_main, config);
      ASSERT_TRUE(result.ok()) << where << ": " << describe_exception(result.error());
      check(result.value(), where);
      auto again = sim::run(make_main, config);
      EXPECT_EQ(again.digest, result.digest) << where << ": the same config gave another digest";
    }
  }
}

// check_runs with one exact expected value.
template <class W, class F, class T>
void expect_runs(F make_main, const T& expected, int more_seeds = kMoreSeeds) {
  check_runs<W>(
      make_main,
      [&expected](const auto& got, const std::string& where) {
        EXPECT_EQ(got, expected) << where;
      },
      more_seeds);
}

}  // namespace weft::testing

#endif  // WEFT_TESTS_IO_WORLD_RUNS_H_
