// expect_everywhere: runs a simulated main under a sweep of seeds and strategies, asserting the
// exact result and that the same seed gives the same digest.
#ifndef WEFT_TESTS_SIM_NET_SWEEP_H_
#define WEFT_TESTS_SIM_NET_SWEEP_H_

#include <gtest/gtest.h>

#include <vector>

#include "runtime/errors.h"
#include "sim/run.h"
#include "tests/sim/net/net_testing.h"

namespace weft::sim::testing {

template <class F, class T>
void expect_everywhere(F make_main, const T& expected, std::vector<SimConfig> configs = sweep()) {
  for (const auto& config : configs) {
    auto result = sim::run(make_main, config);
    ASSERT_TRUE(result.ok()) << describe(config) << ": " << describe_exception(result.error());
    EXPECT_EQ(result.value(), expected) << describe(config);
    auto again = sim::run(make_main, config);
    EXPECT_EQ(again.digest, result.digest) << describe(config);
  }
}

}  // namespace weft::sim::testing

#endif  // WEFT_TESTS_SIM_NET_SWEEP_H_
