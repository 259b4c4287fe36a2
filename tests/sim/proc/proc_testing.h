// Helpers for the sim/proc suites: stdio option sets and a sweep that runs one scenario under
// many seeds with both the fifo and the random strategy, reporting the seed of any failure.
#ifndef WEFT_TESTS_SIM_PROC_PROC_TESTING_H_
#define WEFT_TESTS_SIM_PROC_PROC_TESTING_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/process_service.h"
#include "sim/run.h"

namespace weft::sim::testing {

using Argv = std::vector<std::string>;

inline SubprocessOptions pipes(Stdio in, Stdio out, Stdio err = INHERIT) {
  SubprocessOptions o;
  o.stdin_mode = in;
  o.stdout_mode = out;
  o.stderr_mode = err;
  return o;
}

// Runs `make_main()` for seeds [0, seeds) under fifo and random scheduling and expects every
// run to produce `expected`. WEFT_SEEDS=N in the environment sweeps N seeds instead.
template <class F, class T>
void expect_for_seeds(F make_main, const T& expected, uint64_t seeds = 12) {
  if (const char* env = std::getenv("WEFT_SEEDS")) seeds = std::strtoull(env, nullptr, 10);
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    for (Strategy strategy : {Strategy::kFifo, Strategy::kRandom}) {
      auto r = sim::run(make_main(), SimConfig{.seed = seed, .strategy = strategy});
      const std::string where =
          "seed " + std::to_string(seed) + ", strategy " + strategy_name(strategy);
      if (!r.ok()) {
        try {
          std::rethrow_exception(r.error());
        } catch (const std::exception& e) {
          ADD_FAILURE() << where << ": " << e.what();
        } catch (...) {
          ADD_FAILURE() << where << ": a non-standard exception (cancelled?)";
        }
        continue;
      }
      EXPECT_EQ(r.value(), expected) << where;
    }
  }
}

}  // namespace weft::sim::testing

#endif  // WEFT_TESTS_SIM_PROC_PROC_TESTING_H_
