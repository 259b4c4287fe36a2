#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <xxhash.h>
#include "absl/strings/str_cat.h"
#include "absl/status/statusor.h"
TEST(Probe, Works) { EXPECT_EQ(absl::StrCat("a", 1), "a1"); EXPECT_NE(XXH3_64bits("a", 1), 0u); }
RC_GTEST_PROP(Probe, Prop, (int x)) { RC_ASSERT(x == x); }
