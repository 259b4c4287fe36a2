// sim::ProcessTable: fake programs started by create_subprocess_exec / subprocess_exec on the
// simulated loop — pipes, stdio modes, environment, exit statuses, signals, errors, flow control
// and the SubprocessProtocol callback order, each checked across seeds and both strategies.
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
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

ProcessTable& table() { return current_loop().processes(); }

// Reads stdin to EOF, writes it upper-cased to stdout and "<n> bytes\n" to stderr.
Task<int> upper(ProgramContext& ctx) {
  std::string all = co_await ctx.stdin_stream().read();
  for (auto& c : all) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  co_await ctx.stdout_stream().write(all);
  std::string note = std::to_string(all.size()) + " bytes\n";
  co_await ctx.stderr_stream().write(note);
  co_return 0;
}

// Never ends by itself.
Task<int> hang(ProgramContext&) {
  Future<void> never;
  co_await never;
  co_return 0;
}

TEST(ProcessTableTest, ExecWithAllThreePipes) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("upper", upper);
    Argv argv = {"upper"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    proc->stdin_stream()->write("hello ");
    proc->stdin_stream()->write("world");
    proc->stdin_stream()->close();
    std::string out = co_await proc->stdout_stream()->read();
    std::string err = co_await proc->stderr_stream()->read();
    int rc = co_await proc->wait();
    std::vector<std::string> got = {out, err, std::to_string(rc), std::to_string(proc->pid()),
                                    std::to_string(table().live())};
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{"HELLO WORLD", "11 bytes\n", "0", "1000", "0"});
}

TEST(ProcessTableTest, CommunicateFeedsStdinAndCollectsBothOutputs) {
  auto main = []() -> Task<std::pair<std::string, std::string>> {
    table().define("upper", upper);
    Argv argv = {"upper"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    std::string input = "abc\ndef\n";
    co_return co_await proc->communicate(input);
  };
  expect_for_seeds(main, std::pair<std::string, std::string>{"ABC\nDEF\n", "8 bytes\n"});
}

TEST(ProcessTableTest, InteractiveLineByLine) {
  auto main = []() -> Task<std::vector<std::string>> {
    define_basic_programs(table());
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
  expect_for_seeds(main, std::vector<std::string>{"first\n", "second\n", "", "0"});
}

// Reports how much stdin it saw on stdout and stderr, and exits with that count.
Task<int> probe(ProgramContext& ctx) {
  std::string in = co_await ctx.stdin_stream().read();
  std::string out = "out:" + std::to_string(in.size()) + "\n";
  std::string err = "err:" + std::to_string(in.size()) + "\n";
  co_await ctx.stdout_stream().write(out);
  co_await ctx.stderr_stream().write(err);
  co_return static_cast<int>(in.size());
}

TEST(ProcessTableTest, DevNullStdinIsAtEofAndDevNullOutputIsDiscarded) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("probe", probe);
    Argv argv = {"probe"};
    auto spawn = create_subprocess_exec(argv, pipes(DEVNULL, DEVNULL, PIPE));
    auto proc = co_await std::move(spawn);
    const bool no_streams = !proc->stdin_stream() && !proc->stdout_stream();
    auto [out, err] = co_await proc->communicate();
    std::vector<std::string> got = {out, err, std::to_string(proc->returncode().value_or(-1)),
                                    no_streams ? "no stdin/stdout streams" : "streams?"};
    co_return got;
  };
  expect_for_seeds(main,
                   std::vector<std::string>{"", "err:0\n", "0", "no stdin/stdout streams"});
}

Task<int> interleave(ProgramContext& ctx) {
  co_await ctx.stdout_stream().write("out\n");
  co_await ctx.stderr_stream().write("err\n");
  co_await ctx.stdout_stream().write("out2\n");
  co_return 0;
}

TEST(ProcessTableTest, StderrIntoStdoutKeepsTheWriteOrder) {
  auto main = []() -> Task<std::pair<std::string, std::string>> {
    table().define("interleave", interleave);
    Argv argv = {"interleave"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE, STDOUT));
    auto proc = co_await std::move(spawn);
    const bool no_stderr_stream = proc->stderr_stream() == nullptr;
    auto result = co_await proc->communicate();
    if (!no_stderr_stream) result.second = "unexpected stderr stream";
    co_return result;
  };
  expect_for_seeds(main, std::pair<std::string, std::string>{"out\nerr\nout2\n", ""});
}

TEST(ProcessTableTest, InheritedOutputIsCollectedByTheTable) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("interleave", interleave);
    Argv argv = {"interleave"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    co_await proc->wait();
    auto spawn_merged = create_subprocess_exec(argv, pipes(INHERIT, INHERIT, STDOUT));
    auto merged = co_await std::move(spawn_merged);
    co_await merged->wait();
    std::vector<std::string> got = {table().inherited_output(1), table().inherited_output(2)};
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{"out\nout2\nout\nerr\nout2\n", "err\n"});
}

Task<int> show_env(ProgramContext& ctx) {
  std::string text = "argv:";
  for (const auto& a : ctx.argv()) text += " " + a;
  text += "\ncwd: " + ctx.cwd() + "\nFOO: " + ctx.getenv("FOO").value_or("(unset)") +
          "\nPATH: " + ctx.getenv("PATH").value_or("(unset)") +
          "\nentries: " + std::to_string(ctx.env().size()) + "\n";
  co_await ctx.stdout_stream().write(text);
  co_return 0;
}

TEST(ProcessTableTest, EnvironmentAndWorkingDirectoryAreVisible) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("show-env", show_env);
    std::vector<std::string> got;
    SubprocessOptions opts = pipes(INHERIT, PIPE);
    opts.cwd = "/srv/data";
    opts.env = std::vector<std::string>{"FOO=bar", "FOOD=no", "X=1"};
    Argv argv = {"show-env", "a b", "c"};
    auto spawn = create_subprocess_exec(argv, opts);
    auto proc = co_await std::move(spawn);
    auto first = co_await proc->communicate();
    got.push_back(first.first);
    // Defaults: the table's environment and working directory; a relative cwd joins it.
    table().set_cwd("/home/sim");
    SubprocessOptions defaults = pipes(INHERIT, PIPE);
    defaults.cwd = "work";
    Argv plain = {"show-env"};
    auto spawn_plain = create_subprocess_exec(plain, defaults);
    auto proc_plain = co_await std::move(spawn_plain);
    auto second = co_await proc_plain->communicate();
    got.push_back(second.first);
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{
                             "argv: show-env a b c\ncwd: /srv/data\nFOO: bar\nPATH: (unset)\n"
                             "entries: 3\n",
                             "argv: show-env\ncwd: /home/sim/work\nFOO: (unset)\n"
                             "PATH: /usr/bin:/bin\nentries: 1\n"});
}

TEST(ProcessTableTest, MissingProgramRaisesFileNotFoundErrorWithThePath) {
  auto main = []() -> Task<std::vector<std::string>> {
    std::vector<std::string> got;
    for (std::string name : {"no-such-program", "/usr/local/bin/nothing"}) {
      try {
        Argv argv = {name, "arg"};
        auto spawn = create_subprocess_exec(argv);
        co_await std::move(spawn);
        got.push_back("started?");
      } catch (const FileNotFoundError& e) {
        got.push_back(std::to_string(e.err()) + " " + e.what());
      }
    }
    got.push_back(std::to_string(table().spawned()));
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{
                             "2 [Errno 2] No such file or directory: 'no-such-program'",
                             "2 [Errno 2] No such file or directory: '/usr/local/bin/nothing'",
                             "0"});
}

TEST(ProcessTableTest, AbsolutePathResolvesToTheBasename) {
  auto main = []() -> Task<std::string> {
    table().define("show-env", show_env);
    Argv argv = {"/opt/tools/bin/show-env", "x"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return out.substr(0, out.find('\n'));
  };
  expect_for_seeds(main, std::string("argv: /opt/tools/bin/show-env x"), 2);
}

TEST(ProcessTableTest, ExitStatusIsTheLowEightBitsOfTheReturnedValue) {
  auto main = []() -> Task<std::vector<int>> {
    table().define("exit-with", [](ProgramContext& ctx) -> Task<int> {
      co_return std::stoi(ctx.argv().at(1));
    });
    std::vector<int> got;
    for (std::string code : {"0", "3", "255", "256", "-1", "300"}) {
      Argv argv = {"exit-with", code};
      auto spawn = create_subprocess_exec(argv);
      auto proc = co_await std::move(spawn);
      got.push_back(co_await proc->wait());
    }
    co_return got;
  };
  expect_for_seeds(main, std::vector<int>{0, 3, 255, 0, 255, 44});
}

TEST(ProcessTableTest, ProgramThatThrowsExitsWithOneAndReportsOnStderr) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    table().define("boom", [](ProgramContext& ctx) -> Task<int> {
      co_await ctx.stdout_stream().write("partial");
      throw std::runtime_error("kaboom");
    });
    Argv argv = {"boom"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE, STDOUT));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return std::make_pair(out, proc->returncode().value_or(-1000));
  };
  expect_for_seeds(main,
                   std::pair<std::string, int>{"partialboom: uncaught exception: kaboom\n", 1});
}

TEST(ProcessTableTest, KillEndsAHungProgramAtOnceAndRunsItsDestructors) {
  auto main = []() -> Task<std::vector<std::string>> {
    auto unwound = std::make_shared<bool>(false);
    table().define("hang", [unwound](ProgramContext&) -> Task<int> {
      struct Flag {
        std::shared_ptr<bool> f;
        ~Flag() { *f = true; }
      } flag{unwound};
      Future<void> never;
      co_await never;
      co_return 0;
    });
    Argv argv = {"hang"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    co_await sleep(10);
    const bool running = !proc->returncode().has_value();
    proc->kill();
    const bool still_null = !proc->returncode().has_value();  // as a real kill: exit comes later
    int rc = co_await proc->wait();
    std::vector<std::string> got = {std::to_string(rc), running ? "ran" : "exited early",
                                    still_null ? "async" : "sync", *unwound ? "unwound" : "leak",
                                    std::to_string(get_running_loop().time()),
                                    std::to_string(table().live())};
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{std::to_string(-SIGKILL), "ran", "async",
                                                  "unwound", "10.000000", "0"});
}

TEST(ProcessTableTest, TerminateAndInterruptEndTheProgramWithTheSignal) {
  auto main = []() -> Task<std::vector<int>> {
    table().define("hang", hang);
    std::vector<int> got;
    Argv argv = {"hang"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    proc->terminate();
    got.push_back(co_await proc->wait());
    auto spawn2 = create_subprocess_exec(argv);
    auto proc2 = co_await std::move(spawn2);
    proc2->send_signal(SIGINT);
    got.push_back(co_await proc2->wait());
    auto spawn3 = create_subprocess_exec(argv);
    auto proc3 = co_await std::move(spawn3);
    proc3->send_signal(SIGUSR1);
    got.push_back(co_await proc3->wait());
    co_return got;
  };
  expect_for_seeds(main, std::vector<int>{-SIGTERM, -SIGINT, -SIGUSR1});
}

TEST(ProcessTableTest, HandledSignalsAreQueuedForTheProgram) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    table().define("graceful", [](ProgramContext& ctx) -> Task<int> {
      ctx.handle_signal(SIGTERM);
      ctx.handle_signal(SIGHUP);
      co_await ctx.stdout_stream().write("ready\n");
      int first = co_await ctx.wait_signal();
      int second = co_await ctx.wait_signal();
      std::string line = "got " + std::to_string(first) + " " + std::to_string(second) + "\n";
      co_await ctx.stdout_stream().write(line);
      co_return ctx.take_signal().has_value() ? 99 : 7;
    });
    Argv argv = {"graceful"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    std::string ready = co_await proc->stdout_stream()->readline();
    proc->send_signal(SIGHUP);
    proc->send_signal(SIGCHLD);  // ignored by default
    proc->terminate();
    std::string rest = co_await proc->stdout_stream()->read();
    const int rc = co_await proc->wait();
    co_return std::make_pair(ready + rest, rc);
  };
  expect_for_seeds(main, std::pair<std::string, int>{"ready\ngot 1 15\n", 7});
}

TEST(ProcessTableTest, SigkillCannotBeHandled) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    table().define("stubborn", [](ProgramContext& ctx) -> Task<int> {
      ctx.handle_signal(SIGKILL);
      co_return 0;
    });
    Argv argv = {"stubborn"};
    auto spawn = create_subprocess_exec(argv, pipes(INHERIT, INHERIT, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate();
    co_return std::make_pair(err, proc->returncode().value_or(-1000));
  };
  expect_for_seeds(main, std::pair<std::string, int>{
                             "stubborn: uncaught exception: signal 9 cannot be caught\n", 1});
}

TEST(ProcessTableTest, SignalAfterTheChildIsReapedRaisesProcessLookupError) {
  auto main = []() -> Task<std::pair<int, std::string>> {
    define_basic_programs(table());
    Argv argv = {"true"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    co_await proc->wait();
    try {
      proc->send_signal(SIGTERM);
    } catch (const ProcessLookupError& e) {
      co_return std::make_pair(e.err(), std::string(e.what()));
    }
    co_return std::make_pair(0, std::string("no error"));
  };
  expect_for_seeds(main, std::pair<int, std::string>{ESRCH, "[Errno 3] No such process: pid 1000"});
}

TEST(ProcessTableTest, PidsAreSequentialPerTable) {
  auto main = []() -> Task<std::vector<int>> {
    define_basic_programs(table());
    std::vector<int> pids;
    for (int i = 0; i < 3; ++i) {
      Argv argv = {"true"};
      auto spawn = create_subprocess_exec(argv);
      auto proc = co_await std::move(spawn);
      pids.push_back(proc->pid());
      co_await proc->wait();
    }
    pids.push_back(static_cast<int>(table().spawned()));
    pids.push_back(static_cast<int>(table().live()));
    co_return pids;
  };
  expect_for_seeds(main, std::vector<int>{1000, 1001, 1002, 3, 0}, 2);
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

TEST(ProcessTableTest, TenMebibytesBothWaysWithoutDeadlock) {
  auto main = []() -> Task<std::vector<std::string>> {
    define_basic_programs(table());
    const std::string input = pattern(10 << 20);
    Argv argv = {"cat"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate(input);
    std::vector<std::string> got = {std::to_string(out.size()), out == input ? "same" : "differs",
                                    std::to_string(proc->returncode().value_or(-1000))};
    co_return got;
  };
  expect_for_seeds(main, std::vector<std::string>{std::to_string(10 << 20), "same", "0"}, 2);
}

TEST(ProcessTableTest, FeedingStdinWithoutReadingStdoutDeadlocksAsOnARealPipe) {
  // cat blocks writing its stdout (pipe full, nobody reads), stops reading stdin, and the
  // parent's drain() never returns: the simulated loop reports the deadlock.
  auto main = []() -> Task<int> {
    define_basic_programs(table());
    Argv argv = {"cat"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    const std::string input = pattern(10 << 20);
    proc->stdin_stream()->write(input);
    co_await proc->stdin_stream()->drain();
    co_return 0;
  };
  for (uint64_t seed = 0; seed < 3; ++seed) {
    auto r = sim::run(main(), SimConfig{.seed = seed});
    ASSERT_FALSE(r.ok());
    EXPECT_THROW(std::rethrow_exception(r.error()), DeadlockError) << "seed " << seed;
  }
}

TEST(ProcessTableTest, AChildThatStopsReadingDoesNotBreakCommunicate) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    table().define("head-line", [](ProgramContext& ctx) -> Task<int> {
      std::string line = co_await ctx.stdin_stream().readline();
      ctx.close_stdin();
      co_await ctx.stdout_stream().write(line);
      co_return 0;
    });
    Argv argv = {"head-line"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    std::string input = "one\n" + pattern(1 << 20);
    auto [out, err] = co_await proc->communicate(input);
    co_return std::make_pair(out, proc->returncode().value_or(-1000));
  };
  expect_for_seeds(main, std::pair<std::string, int>{"one\n", 0});
}

class Recorder : public SubprocessProtocol {
 public:
  void connection_made(std::shared_ptr<SubprocessTransport> t) override {
    transport = t;
    events.push_back("made");
  }
  void pipe_data_received(int fd, std::string data) override {
    const std::string tag = "data:" + std::to_string(fd);
    if (std::find(events.begin(), events.end(), tag) == events.end()) events.push_back(tag);
    chunks[fd].push_back(data.size());
    output[fd] += data;
    if (close_on_data == fd) {
      close_on_data = -1;
      transport->get_pipe_transport(fd)->close();
    }
  }
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
  std::vector<size_t> chunks[3];
  int close_on_data = -1;
  Future<void> lost;
};

Task<int> to_both(ProgramContext& ctx) {
  co_await ctx.stdout_stream().write("to-out\n");
  co_await ctx.stderr_stream().write("to-err\n");
  co_return 5;
}

TEST(ProcessTableTest, SubprocessProtocolCallbackOrder) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("to-both", to_both);
    Argv argv = {"to-both"};
    auto spawn =
        subprocess_exec([] { return std::make_shared<Recorder>(); }, argv, pipes(PIPE, PIPE, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    const bool has_pid = transport->get_pid() == 1000 &&
                         std::get<int>(transport->get_extra_info("pid")) == 1000;
    co_await proto->lost;
    std::vector<std::string> events = proto->events;
    // "made" first and "lost" last; between them each pipe's data before its pipe_lost, every
    // pipe lost once, exited once.
    std::vector<std::string> got = {proto->output[1], proto->output[2],
                                    std::to_string(transport->get_returncode().value_or(-1))};
    got.push_back(events.front());
    got.push_back(events.back());
    std::multiset<std::string> middle(events.begin() + 1, events.end() - 1);
    for (const auto& e : middle) got.push_back(e);
    for (int fd : {1, 2}) {
      auto data = std::find(events.begin(), events.end(), "data:" + std::to_string(fd));
      auto lost = std::find(events.begin(), events.end(), "pipe_lost:" + std::to_string(fd));
      if (!(data < lost)) got.push_back("data after pipe_lost");
    }
    if (!has_pid) got.push_back("bad pid");
    co_return got;
  };
  expect_for_seeds(main,
                   std::vector<std::string>{"to-out\n", "to-err\n", "5", "made", "lost", "data:1",
                                            "data:2", "exited", "pipe_lost:0", "pipe_lost:1",
                                            "pipe_lost:2"},
                   24);
}

TEST(ProcessTableTest, PartialReadsVaryWithTheSeedAndChoiceZeroDeliversWhole) {
  auto main = []() -> Task<std::vector<size_t>> {
    table().define("burst", [](ProgramContext& ctx) -> Task<int> {
      co_await ctx.stdout_stream().write("0123456789abcdefghij");
      co_return 0;
    });
    Argv argv = {"burst"};
    auto spawn =
        subprocess_exec([] { return std::make_shared<Recorder>(); }, argv, pipes(INHERIT, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    co_await proto->lost;
    if (proto->output[1] != "0123456789abcdefghij") co_return std::vector<size_t>{};
    co_return proto->chunks[1];
  };
  std::set<std::vector<size_t>> seen;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    auto chunks = sim::run(main(), SimConfig{.seed = seed}).value();
    ASSERT_FALSE(chunks.empty()) << "seed " << seed;
    seen.insert(chunks);
  }
  EXPECT_GT(seen.size(), 3u);
  // An all-zero choice list: no deviation, one read of everything.
  auto whole = sim::run(main(), SimConfig{}, std::make_unique<ListChoiceSource>(std::vector<uint64_t>{}));
  EXPECT_EQ(whole.value(), std::vector<size_t>{20});
}

TEST(ProcessTableTest, SigpipeEndsAWriterWhoseReaderIsGone) {
  auto main = []() -> Task<std::pair<std::string, int>> {
    define_basic_programs(table());
    Argv argv = {"yes"};
    auto spawn =
        subprocess_exec([] { return std::make_shared<Recorder>(); }, argv, pipes(INHERIT, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    proto->close_on_data = 1;
    co_await proto->lost;
    co_return std::make_pair(proto->output[1].substr(0, 4),
                             transport->get_returncode().value_or(-1000));
  };
  expect_for_seeds(main, std::pair<std::string, int>{"y\ny\n", -SIGPIPE});
}

TEST(ProcessTableTest, HandledSigpipeMakesTheWriteRaiseBrokenPipeError) {
  auto main = []() -> Task<int> {
    table().define("careful", [](ProgramContext& ctx) -> Task<int> {
      ctx.handle_signal(SIGPIPE);
      try {
        while (true) co_await ctx.stdout_stream().write("data\n");
      } catch (const BrokenPipeError& e) {
        co_return e.err() == EPIPE && ctx.take_signal() == SIGPIPE ? 42 : 1;
      }
    });
    Argv argv = {"careful"};
    auto spawn =
        subprocess_exec([] { return std::make_shared<Recorder>(); }, argv, pipes(INHERIT, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    proto->close_on_data = 1;
    co_await proto->lost;
    co_return transport->get_returncode().value_or(-1000);
  };
  expect_for_seeds(main, 42);
}

TEST(ProcessTableTest, ClosingTheTransportKillsARunningChild) {
  auto main = []() -> Task<std::pair<int, size_t>> {
    table().define("hang", hang);
    Argv argv = {"hang"};
    auto spawn =
        subprocess_exec([] { return std::make_shared<Recorder>(); }, argv, pipes(PIPE, PIPE, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    transport->close();
    co_await proto->lost;
    co_return std::make_pair(transport->get_returncode().value_or(-1000), table().live());
  };
  expect_for_seeds(main, std::pair<int, size_t>{-SIGKILL, 0});
}

TEST(ProcessTableTest, CancelledSpawnKillsTheChildAndItIsStillReaped) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("hang", hang);
    Argv argv = {"hang"};
    auto spawn = create_task(create_subprocess_exec(argv));
    co_await sleep(0);
    spawn.cancel();
    std::string outcome;
    try {
      co_await spawn;
      outcome = "spawned";
    } catch (const CancelledError&) {
      outcome = "cancelled";
    }
    co_await sleep(1);
    std::vector<std::string> got = {outcome, std::to_string(table().spawned()),
                                    std::to_string(table().live())};
    co_return got;
  };
  auto r = sim::run(main(), SimConfig{});
  EXPECT_EQ(r.value(), (std::vector<std::string>{"cancelled", "1", "0"}));
}

TEST(ProcessTableTest, KillingTheSpawnersTaskGroupKillsItsPrograms) {
  auto main = []() -> Task<std::vector<std::string>> {
    table().define("hang", hang);
    auto& loop = current_loop();
    const uint16_t group = loop.new_group();
    auto node = [](std::shared_ptr<int> rc) -> Task<void> {
      Argv argv = {"hang"};
      auto spawn = create_subprocess_exec(argv);
      auto proc = co_await std::move(spawn);
      *rc = co_await proc->wait();
    };
    auto rc = std::make_shared<int>(1234);
    auto handle = create_task(node(rc));
    handle.core()->set_group(group);
    co_await sleep(1);
    const size_t before = table().live();
    const size_t killed = loop.kill_group(group);
    co_await sleep(1);
    std::vector<std::string> got = {std::to_string(before), std::to_string(killed),
                                    std::to_string(table().live()), std::to_string(*rc)};
    co_return got;
  };
  // The node's task and the program's task die; nobody is left to read the status.
  expect_for_seeds(main, std::vector<std::string>{"1", "2", "0", "1234"}, 4);
}

TEST(ProcessTableTest, AChildStillRunningWhenTheRunEndsIsTornDownCleanly) {
  auto main = []() -> Task<int> {
    table().define("hang", hang);
    Argv argv = {"hang"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    proc->stdin_stream()->write("pending");
    co_return proc->pid();
  };
  expect_for_seeds(main, 1000, 4);
}

TEST(ProcessTableTest, SameSeedSameDigestAndDifferentSeedsDiffer) {
  auto main = []() -> Task<std::string> {
    define_basic_programs(table());
    table().define("upper", upper);
    Argv cat = {"cat"};
    Argv up = {"upper"};
    auto spawn_a = create_subprocess_exec(cat, pipes(PIPE, PIPE));
    auto spawn_b = create_subprocess_exec(up, pipes(PIPE, PIPE, PIPE));
    auto a = co_await std::move(spawn_a);
    auto b = co_await std::move(spawn_b);
    auto ra = a->communicate(pattern(200000));
    std::string mixed = "mixed case";
    auto rb = b->communicate(mixed);
    auto [x, y] = co_await gather(std::move(ra), std::move(rb));
    co_return std::to_string(x.first.size()) + " " + y.first + " " + y.second;
  };
  std::set<uint64_t> digests;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    SimConfig config{.seed = seed, .strategy = Strategy::kRandom};
    auto first = sim::run(main(), config);
    auto second = sim::run(main(), config);
    EXPECT_EQ(first.value(), "200000 MIXED CASE 10 bytes\n");
    EXPECT_EQ(first.digest, second.digest) << "seed " << seed;
    EXPECT_EQ(first.choices.size(), second.choices.size());
    digests.insert(first.digest);
  }
  EXPECT_EQ(digests.size(), 8u);
}

}  // namespace
}  // namespace weft::sim
