// Runs a program as a child process and collects what it printed and how it ended, so a test
// can watch a program crash (a sanitizer report, a miscompiled coroutine) without crashing the
// test runner. Blocking; for tests only.
#ifndef WEFT_TESTS_TESTING_CHILD_PROCESS_H_
#define WEFT_TESTS_TESTING_CHILD_PROCESS_H_

#include <string>
#include <vector>

namespace weft::testing {

struct ChildResult {
  bool exited = false;    // ended by exit(); then exit_code is set
  int exit_code = -1;
  int signal = 0;         // the signal that killed it, or 0
  std::string output;     // stdout and stderr, interleaved as written
  // "exit 0", "exit 66", "signal 4 (Illegal instruction)": for failure messages.
  std::string describe() const;
};

// Runs argv[0] (a path, not searched in PATH) with argv; a child still running after
// `timeout_s` seconds is killed with SIGKILL (signal == SIGKILL then).
ChildResult run_child(const std::vector<std::string>& argv, int timeout_s = 60);

}  // namespace weft::testing

#endif  // WEFT_TESTS_TESTING_CHILD_PROCESS_H_
