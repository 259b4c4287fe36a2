// Sanitizer builds really check: under --config=asan / ubsan / asan_ubsan / tsan, a program
// with one deliberate bug per sanitizer (canary.cc) dies with that sanitizer's report. A
// config that lost its flags, or a sanitizer that a library or a link step switched off, fails
// here instead of passing every other test silently. In a build without a sanitizer each case
// is skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/child_process.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_CANARY_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define WEFT_CANARY_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WEFT_CANARY_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define WEFT_CANARY_TSAN 1
#endif


namespace weft {
namespace {

using ::testing::HasSubstr;
using testing::run_child;

constexpr const char* kCanary = "tests/sanitizers/canary";

#ifdef WEFT_CANARY_ASAN
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#ifdef WEFT_CANARY_TSAN
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif
// UBSan has no feature macro; .bazelrc's ubsan config defines this one.
#ifdef WEFT_UBSAN
constexpr bool kUbsan = true;
#else
constexpr bool kUbsan = false;
#endif

TEST(SanitizerCanaryTest, AddressSanitizerReportsAHeapUseAfterFree) {
  if (!kAsan) GTEST_SKIP() << "not an AddressSanitizer build";
  auto r = run_child({kCanary, "use-after-free"});
  EXPECT_TRUE(r.exited && r.exit_code != 0) << r.describe();
  EXPECT_THAT(r.output, HasSubstr("ERROR: AddressSanitizer: heap-use-after-free"));
  EXPECT_THAT(r.output, HasSubstr("canary.cc:"));  // reports carry file:line
}

TEST(SanitizerCanaryTest, LeakSanitizerReportsALeakAtExit) {
  if (!kAsan) GTEST_SKIP() << "not an AddressSanitizer (LeakSanitizer) build";
  auto r = run_child({kCanary, "leak"});
  EXPECT_TRUE(r.exited && r.exit_code != 0) << r.describe();
  EXPECT_THAT(r.output, HasSubstr("ERROR: LeakSanitizer: detected memory leaks"));
  EXPECT_THAT(r.output, HasSubstr("Direct leak of 64 byte(s) in 1 object(s)"));
}

TEST(SanitizerCanaryTest, UndefinedBehaviorSanitizerStopsAtASignedOverflow) {
  if (!kUbsan) GTEST_SKIP() << "not an UndefinedBehaviorSanitizer build";
  auto r = run_child({kCanary, "signed-overflow"});
  EXPECT_FALSE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_THAT(r.output, HasSubstr("runtime error: signed integer overflow: 2147483647 + 1"));
}

TEST(SanitizerCanaryTest, UndefinedBehaviorSanitizerChecksDowncastsThroughTheVtable) {
  // The vptr check lives in UBSan's C++ runtime, which Bazel's C link driver leaves out unless
  // asked (.bazelrc: -fsanitize-link-c++-runtime).
  if (!kUbsan) GTEST_SKIP() << "not an UndefinedBehaviorSanitizer build";
  auto r = run_child({kCanary, "vptr"});
  EXPECT_FALSE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_THAT(r.output, HasSubstr("runtime error: downcast of address"));
  EXPECT_THAT(r.output, HasSubstr("which does not point to an object of type"));
}

TEST(SanitizerCanaryTest, ThreadSanitizerReportsADataRace) {
  if (!kTsan) GTEST_SKIP() << "not a ThreadSanitizer build";
  auto r = run_child({kCanary, "race"});
  EXPECT_TRUE(r.exited && r.exit_code != 0) << r.describe();
  EXPECT_THAT(r.output, HasSubstr("WARNING: ThreadSanitizer: data race"));
}

}  // namespace
}  // namespace weft
