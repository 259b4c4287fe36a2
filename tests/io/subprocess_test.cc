// Child processes on the real loop only: PATH search, reaping at loop close, the reaper-thread
// watcher. The behaviour shared with the simulated loop is one suite over both worlds:
// tests/sim/proc/subprocess_worlds_test.cc.
// Argument vectors are built outside co_await expressions (g++ 12 bug with braced lists there).
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/subprocess.h"
#include "runtime/run.h"
#include "runtime/weft.h"
#include "tests/io/fd_check.h"

namespace weft {
namespace {

using Argv = std::vector<std::string>;

class SubprocessTest : public testing::FdCheckedTest {
 protected:
  // No child of ours may be left unreaped (a zombie) after a test.
  void TearDown() override {
    FdCheckedTest::TearDown();
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }
};

SubprocessOptions pipes(Stdio in, Stdio out, Stdio err = INHERIT) {
  SubprocessOptions o;
  o.stdin_mode = in;
  o.stdout_mode = out;
  o.stderr_mode = err;
  return o;
}

TEST_F(SubprocessTest, MissingProgramOnPathRaisesFileNotFoundError) {
  auto main = []() -> Task<bool> {
    Argv argv = {"no-such-program-weft"};
    try {
      auto spawn = create_subprocess_exec(argv);
      co_await std::move(spawn);
    } catch (const FileNotFoundError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(weft::run(main()));
}

TEST_F(SubprocessTest, ChildStillRunningWhenTheLoopClosesIsKilledAndReaped) {
  auto main = []() -> Task<int> {
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    co_return proc->pid();
  };
  const int pid = weft::run(main());
  EXPECT_EQ(::kill(pid, 0), -1);  // no process, not even a zombie
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(SubprocessTest, ThreadedChildWatcherFallback) {
  ::setenv("WEFT_CHILD_WATCHER", "thread", 1);
  auto main = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> got;
    auto spawn = create_subprocess_shell("echo fallback; exit 7", pipes(INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    got.push_back(out);
    got.push_back(std::to_string(proc->returncode().value_or(-1)));
    Argv argv = {"sleep", "1000"};
    auto spawn_hung = create_subprocess_exec(argv);
    auto hung = co_await std::move(spawn_hung);
    hung->kill();
    got.push_back(std::to_string(co_await hung->wait()));
    co_return got;
  };
  auto got = weft::run(main());
  ::unsetenv("WEFT_CHILD_WATCHER");
  EXPECT_EQ(got, (std::vector<std::string>{"fallback\n", "7", std::to_string(-SIGKILL)}));
}

}  // namespace
}  // namespace weft
