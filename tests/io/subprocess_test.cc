// Child processes (create_subprocess_exec / _shell, Process, subprocess_exec) on the real loop.
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

Task<std::pair<std::string, int>> exec_output(Argv argv, SubprocessOptions opts) {
  auto spawn = create_subprocess_exec(std::move(argv), std::move(opts));
  auto proc = co_await std::move(spawn);
  auto [out, err] = co_await proc->communicate();
  co_return std::make_pair(out + err, proc->returncode().value_or(-1000));
}

TEST_F(SubprocessTest, StdoutPipe) {
  Argv argv = {"echo", "hello", "world"};
  EXPECT_EQ(weft::run(exec_output(argv, pipes(INHERIT, PIPE))),
            (std::pair<std::string, int>{"hello world\n", 0}));
}

TEST_F(SubprocessTest, ExitCodeIsTheReturncode) {
  auto main = []() -> Task<std::pair<int, int>> {
    auto spawn = create_subprocess_shell("exit 3");
    auto proc = co_await std::move(spawn);
    // (Whether returncode is still unset here depends on how fast the shell exits: not asserted.)
    int rc = co_await proc->wait();
    co_return std::make_pair(rc, proc->returncode().value_or(-1));
  };
  EXPECT_EQ(weft::run(main()), (std::pair<int, int>{3, 3}));
}

TEST_F(SubprocessTest, StderrIntoStdout) {
  auto main = []() -> Task<std::pair<std::string, std::string>> {
    auto spawn = create_subprocess_shell("echo out; echo err >&2", pipes(INHERIT, PIPE, STDOUT));
    auto proc = co_await std::move(spawn);
    const bool no_stderr_stream = proc->stderr_stream() == nullptr;
    auto result = co_await proc->communicate();
    if (!no_stderr_stream) result.second = "unexpected stderr stream";
    co_return result;
  };
  EXPECT_EQ(weft::run(main()), (std::pair<std::string, std::string>{"out\nerr\n", ""}));
}

TEST_F(SubprocessTest, SeparateStderrPipe) {
  auto main = []() -> Task<std::pair<std::string, std::string>> {
    auto spawn = create_subprocess_shell("echo out; echo err >&2", pipes(INHERIT, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    co_return co_await proc->communicate();
  };
  EXPECT_EQ(weft::run(main()), (std::pair<std::string, std::string>{"out\n", "err\n"}));
}

TEST_F(SubprocessTest, DevNullStdinReadsNothing) {
  Argv argv = {"cat"};
  EXPECT_EQ(weft::run(exec_output(argv, pipes(DEVNULL, PIPE, DEVNULL))),
            (std::pair<std::string, int>{"", 0}));
}

TEST_F(SubprocessTest, CwdAndEnvironment) {
  SubprocessOptions opts = pipes(INHERIT, PIPE);
  opts.cwd = "/";
  opts.env = std::vector<std::string>{"FOO=bar", "PATH=/usr/bin:/bin"};
  Argv argv = {"/bin/sh", "-c", "pwd; echo $FOO"};
  EXPECT_EQ(weft::run(exec_output(argv, opts)), (std::pair<std::string, int>{"/\nbar\n", 0}));
}

TEST_F(SubprocessTest, MissingProgramRaisesFileNotFoundErrorWithThePath) {
  auto main = []() -> Task<std::pair<int, bool>> {
    Argv argv = {"/no/such/program-weft"};
    try {
      auto spawn = create_subprocess_exec(argv);
      co_await std::move(spawn);
    } catch (const FileNotFoundError& e) {
      co_return std::make_pair(e.err(),
                               std::string(e.what()).find("/no/such/program-weft") !=
                                   std::string::npos);
    }
    co_return std::make_pair(0, false);
  };
  EXPECT_EQ(weft::run(main()), (std::pair<int, bool>{ENOENT, true}));
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

TEST_F(SubprocessTest, TenMebibytesThroughCatWithoutDeadlock) {
  auto main = []() -> Task<std::pair<size_t, bool>> {
    std::string input(10 << 20, '\0');
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
    Argv argv = {"cat"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate(input);
    co_return std::make_pair(out.size(), out == input && proc->returncode() == 0);
  };
  EXPECT_EQ(weft::run(main()), (std::pair<size_t, bool>{10u << 20, true}));
}

TEST_F(SubprocessTest, InteractiveStreams) {
  auto main = []() -> Task<std::vector<std::string>> {
    Argv argv = {"cat"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    std::vector<std::string> got;
    proc->stdin_stream()->write("first\n");
    co_await proc->stdin_stream()->drain();
    got.push_back(co_await proc->stdout_stream()->readline());
    proc->stdin_stream()->write("second\n");
    proc->stdin_stream()->close();
    got.push_back(co_await proc->stdout_stream()->readline());
    got.push_back(co_await proc->stdout_stream()->readline());
    got.push_back(std::to_string(co_await proc->wait()));
    co_return got;
  };
  EXPECT_EQ(weft::run(main()), (std::vector<std::string>{"first\n", "second\n", "", "0"}));
}

TEST_F(SubprocessTest, KillEndsAHungChild) {
  auto main = []() -> Task<int> {
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    proc->kill();
    co_return co_await proc->wait();
  };
  EXPECT_EQ(weft::run(main()), -SIGKILL);
}

TEST_F(SubprocessTest, TerminateSendsSigterm) {
  auto main = []() -> Task<int> {
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    proc->terminate();
    co_return co_await proc->wait();
  };
  EXPECT_EQ(weft::run(main()), -SIGTERM);
}

TEST_F(SubprocessTest, SignalAfterTheChildIsReapedRaisesProcessLookupError) {
  auto main = []() -> Task<int> {
    Argv argv = {"true"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    co_await proc->wait();
    try {
      proc->send_signal(SIGTERM);
    } catch (const ProcessLookupError& e) {
      co_return e.err();
    }
    co_return 0;
  };
  EXPECT_EQ(weft::run(main()), ESRCH);
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

class Recorder : public SubprocessProtocol {
 public:
  void connection_made(std::shared_ptr<SubprocessTransport> t) override {
    transport = t;
    events.push_back("made");
  }
  void pipe_data_received(int fd, std::string data) override { output[fd] += data; }
  void pipe_connection_lost(int fd, std::exception_ptr) override {
    events.push_back("pipe_lost:" + std::to_string(fd));
  }
  void process_exited() override { events.push_back("exited"); }
  void connection_lost(std::exception_ptr) override {
    events.push_back("lost");
    transport = nullptr;
    lost.set_result();
  }
  std::shared_ptr<SubprocessTransport> transport;
  std::vector<std::string> events;
  std::string output[3];
  Future<void> lost;
};

TEST_F(SubprocessTest, ProtocolLevelSubprocess) {
  auto main = []() -> Task<std::vector<std::string>> {
    auto spawn = subprocess_shell([] { return std::make_shared<Recorder>(); },
                                  "echo to-out; echo to-err >&2; exit 5", pipes(INHERIT, PIPE, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    const bool has_pid = transport->get_pid() > 0 &&
                         std::get<int>(transport->get_extra_info("pid")) == transport->get_pid();
    const bool no_stdin = transport->get_pipe_transport(0) == nullptr;
    co_await proto->lost;
    std::vector<std::string> got = {proto->output[1], proto->output[2],
                                    std::to_string(transport->get_returncode().value_or(-1)),
                                    proto->events.front(), proto->events.back(),
                                    std::to_string(proto->events.size())};
    if (!has_pid || !no_stdin) got.push_back("bad pid or pipes");
    co_return got;
  };
  // "made", then pipe_lost:1, pipe_lost:2 and exited in the order they happen, then "lost".
  EXPECT_EQ(weft::run(main()),
            (std::vector<std::string>{"to-out\n", "to-err\n", "5", "made", "lost", "5"}));
}

TEST_F(SubprocessTest, CommunicateIgnoresAChildThatStopsReading) {
  auto main = []() -> Task<int> {
    Argv argv = {"true"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, DEVNULL));
    auto proc = co_await std::move(spawn);
    co_await proc->wait();
    co_await proc->communicate(std::string(1 << 20, 'x'));
    co_return proc->returncode().value_or(-1);
  };
  EXPECT_EQ(weft::run(main()), 0);
}

}  // namespace
}  // namespace weft
