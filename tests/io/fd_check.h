// FdCheckedTest: a GoogleTest fixture that fails a test which leaves more (or fewer) open file
// descriptors than it found — counted in /proc/self/fd before and after — and lists them.
#ifndef WEFT_TESTS_IO_FD_CHECK_H_
#define WEFT_TESTS_IO_FD_CHECK_H_

#include <gtest/gtest.h>

#include <string>

namespace weft::testing {

// The open fds of this process, one "fd -> target" per line.
std::string list_open_fds();
int count_open_fds();

class FdCheckedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    before_ = count_open_fds();
    before_list_ = list_open_fds();
  }
  void TearDown() override {
    EXPECT_EQ(count_open_fds(), before_) << "before:\n" << before_list_ << "after:\n"
                                         << list_open_fds();
  }

 private:
  int before_ = 0;
  std::string before_list_;
};

// The same check for a typed test over the two worlds (tests/testing/worlds.h), the real world's
// harness: every test of a suite whose fixture derives from it checks the real loop's fds, with
// no code in the test; the simulated world opens none, so nothing is counted there.
template <class W>
class WorldFdCheckedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (!W::kSimulated) {
      before_ = count_open_fds();
      before_list_ = list_open_fds();
    }
  }
  void TearDown() override {
    if constexpr (!W::kSimulated) {
      EXPECT_EQ(count_open_fds(), before_) << "before:\n" << before_list_ << "after:\n"
                                           << list_open_fds();
    }
  }

 private:
  int before_ = 0;
  std::string before_list_;
};

}  // namespace weft::testing

#endif  // WEFT_TESTS_IO_FD_CHECK_H_
