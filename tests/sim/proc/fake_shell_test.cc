// The simulated /bin/sh that create_subprocess_shell runs: separators, quoting, expansions,
// redirections, builtins, the table's programs, and its errors for what it does not support.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/io/subprocess.h"
#include "runtime/weft.h"
#include "sim/proc/basic_programs.h"
#include "sim/proc/process_table.h"
#include "sim/run.h"
#include "tests/sim/proc/proc_testing.h"

namespace weft::sim {
namespace {

using testing::Argv;
using testing::expect_for_seeds;
using testing::pipes;

struct Outcome {
  std::string out;
  std::string err;
  int rc = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "{out=\"" << o.out << "\", err=\"" << o.err << "\", rc=" << o.rc << "}";
  }
};

Task<int> greet(ProgramContext& ctx) {
  std::string text = "hello";
  for (size_t i = 1; i < ctx.argv().size(); ++i) text += " " + ctx.argv()[i];
  text += "\n";
  co_await ctx.stdout_stream().write(text);
  co_return 0;
}

// Runs `cmd` with the basic programs and "greet" defined, stdout and stderr piped.
Task<Outcome> shell(std::string cmd, SubprocessOptions opts = pipes(INHERIT, PIPE, PIPE)) {
  auto& table = current_loop().processes();
  define_basic_programs(table);
  table.define("greet", greet);
  auto spawn = create_subprocess_shell(std::move(cmd), std::move(opts));
  auto proc = co_await std::move(spawn);
  auto [out, err] = co_await proc->communicate();
  co_return Outcome{out, err, proc->returncode().value_or(-1000)};
}

void expect_shell(const std::string& cmd, const Outcome& expected) {
  expect_for_seeds([cmd] { return shell(cmd); }, expected, 3);
}

TEST(FakeShellTest, SeparatorsAndRedirectionToStderr) {
  expect_shell("echo out; echo err >&2", Outcome{"out\n", "err\n", 0});
}

TEST(FakeShellTest, ExitSetsTheStatus) {
  expect_shell("exit 3", Outcome{"", "", 3});
  expect_shell("echo before; exit 300; echo after", Outcome{"before\n", "", 44});
  expect_shell("false", Outcome{"", "", 1});
  expect_shell("false; exit", Outcome{"", "", 1});
}

TEST(FakeShellTest, StderrIntoStdoutByOptionAndBy2To1) {
  auto by_option = [] { return shell("echo out; echo err >&2", pipes(INHERIT, PIPE, STDOUT)); };
  expect_for_seeds(by_option, Outcome{"out\nerr\n", "", 0}, 3);
  expect_shell("greet a 2>&1; echo x 1>&2", Outcome{"hello a\n", "x\n", 0});
}

TEST(FakeShellTest, DevNullRedirections) {
  expect_shell("echo hidden >/dev/null; echo gone 2> /dev/null >&2; echo shown; cat </dev/null",
               Outcome{"shown\n", "", 0});
}

TEST(FakeShellTest, AndOrLists) {
  expect_shell("false || echo fallback && exit 4", Outcome{"fallback\n", "", 4});
  expect_shell("true && echo yes || echo no", Outcome{"yes\n", "", 0});
  expect_shell("false && echo never\necho $?", Outcome{"1\n", "", 0});
}

TEST(FakeShellTest, QuotingAndExpansions) {
  expect_shell("X=1; echo 'a  b' \"c $X\" \\$Y ${X}2 $UNSET \"\" end",
               Outcome{"a  b c 1 $Y 12  end\n", "", 0});
  expect_shell("echo \"$$ pid\" $#", Outcome{"1000 pid 0\n", "", 0});
}

TEST(FakeShellTest, EnvironmentAndWorkingDirectory) {
  auto main = [] {
    SubprocessOptions opts = pipes(INHERIT, PIPE, PIPE);
    opts.cwd = "/";
    opts.env = std::vector<std::string>{"FOO=bar", "PATH=/usr/bin:/bin"};
    return shell("pwd; echo $FOO; cd /tmp; pwd; BAZ=1 env; export Q=2; env", opts);
  };
  expect_for_seeds(main,
                   Outcome{"/\nbar\n/tmp\nFOO=bar\nPATH=/usr/bin:/bin\nBAZ=1\n"
                           "FOO=bar\nPATH=/usr/bin:/bin\nQ=2\n",
                           "", 0},
                   3);
}

TEST(FakeShellTest, PositionalParametersFromShDashC) {
  auto main = []() -> Task<std::string> {
    Argv argv = {"/bin/sh", "-c", "echo $0 $1 $2 $#", "name", "one", "two"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return out;
  };
  expect_for_seeds(main, std::string("name one two 2\n"), 2);
}

TEST(FakeShellTest, RunsTheTablesProgramsWithTheirArguments) {
  expect_shell("greet 'big world'; /usr/bin/greet x y", Outcome{"hello big world\nhello x y\n", "", 0});
}

TEST(FakeShellTest, UnknownCommandIsNotFoundWithStatus127) {
  expect_shell("nope arg; echo $?", Outcome{"127\n", "/bin/sh: 1: nope: not found\n", 0});
  expect_shell("nope", Outcome{"", "/bin/sh: 1: nope: not found\n", 127});
}

TEST(FakeShellTest, UnsupportedSyntaxFailsWithStatus2) {
  expect_shell("echo a | cat", Outcome{"", "/bin/sh: sim shell does not support pipelines (|)\n", 2});
  expect_shell("echo a > file.txt",
               Outcome{"", "/bin/sh: sim shell does not support redirection to files ('file.txt')\n", 2});
  expect_shell("echo $(date)",
               Outcome{"", "/bin/sh: sim shell does not support command substitution\n", 2});
  expect_shell("sleep 5 &", Outcome{"", "/bin/sh: sim shell does not support background jobs (&)\n", 2});
}

TEST(FakeShellTest, SyntaxErrors) {
  expect_shell("echo 'oops", Outcome{"", "/bin/sh: 1: Syntax error: Unterminated quoted string\n", 2});
  expect_shell("echo a &&", Outcome{"", "/bin/sh: 1: Syntax error: end of file unexpected\n", 2});
  expect_shell("; echo a", Outcome{"", "/bin/sh: 1: Syntax error: \";\" unexpected\n", 2});
}

TEST(FakeShellTest, ProgramThatThrowsInsideTheShell) {
  auto main = []() -> Task<Outcome> {
    current_loop().processes().define("boom", [](ProgramContext&) -> Task<int> {
      throw std::runtime_error("bad");
      co_return 0;
    });
    Task<Outcome> run = shell("boom; echo still here");
    co_return co_await std::move(run);
  };
  expect_for_seeds(main, Outcome{"still here\n", "boom: uncaught exception: bad\n", 0}, 3);
}

TEST(FakeShellTest, SignalsReachTheCommandTheShellRuns) {
  auto main = []() -> Task<int> {
    define_basic_programs(current_loop().processes());
    auto spawn = create_subprocess_shell("sleep 1000");
    auto proc = co_await std::move(spawn);
    co_await sleep(1);
    proc->terminate();
    co_return co_await proc->wait();
  };
  expect_for_seeds(main, -SIGTERM, 3);
}

TEST(FakeShellTest, ATestMayDefineItsOwnShell) {
  auto main = []() -> Task<std::string> {
    current_loop().processes().define("/bin/sh", [](ProgramContext& ctx) -> Task<int> {
      std::string text = "custom: " + ctx.argv().at(2) + "\n";
      co_await ctx.stdout_stream().write(text);
      co_return 0;
    });
    auto spawn = create_subprocess_shell("anything | at all", pipes(INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return out;
  };
  expect_for_seeds(main, std::string("custom: anything | at all\n"), 2);
}

TEST(FakeShellTest, WithoutDashCItPrintsUsage) {
  auto main = []() -> Task<Outcome> {
    Argv argv = {"sh"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return Outcome{out, err, proc->returncode().value_or(-1000)};
  };
  expect_for_seeds(main, Outcome{"", "sh: the simulated shell only runs 'sh -c <command>'\n", 2}, 2);
}

}  // namespace
}  // namespace weft::sim
