// The same framing example on the real loop, over 127.0.0.1: the fixed server works.
#include <gtest/gtest.h>

#include "examples/framing/framing.h"
#include "runtime/run.h"

namespace weft::examples::framing {
namespace {

TEST(FramingRealTest, TheFixedServerWorksOverLoopback) {
  EXPECT_EQ(weft::run(session("127.0.0.1", /*buggy=*/false)), "");
}

}  // namespace
}  // namespace weft::examples::framing
