// One subprocess suite, two worlds: the scenarios of tests/io/subprocess_test.cc run against
// real programs on the epoll loop and against define_basic_programs' fakes (and the fake shell)
// on the simulated loop, with identical expectations.
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/io/subprocess.h"
#include "runtime/weft.h"
#include "sim/proc/basic_programs.h"
#include "sim/proc/process_table.h"
#include "tests/io/fd_check.h"
#include "tests/sim/proc/proc_testing.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using sim::testing::Argv;
using sim::testing::pipes;

template <class W>
class SubprocessWorldsTest : public testing::WorldFdCheckedTest<W> {
 protected:
  // On the real loop: no child left unreaped (a zombie), and (the base) no fd left open.
  void TearDown() override {
    if constexpr (!W::kSimulated) {
      EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
      EXPECT_EQ(errno, ECHILD);
    }
    testing::WorldFdCheckedTest<W>::TearDown();
  }
};
TYPED_TEST_SUITE(SubprocessWorldsTest, testing::Worlds, testing::WorldNames);

// On the simulated loop, the programs the real machine has (cat, echo, sleep, true, ...).
template <class W>
void install_programs() {
  if constexpr (W::kSimulated) sim::define_basic_programs(sim::current_loop().processes());
}

template <class W>
Task<std::pair<std::string, int>> exec_output(Argv argv, SubprocessOptions opts) {
  install_programs<W>();
  auto spawn = create_subprocess_exec(std::move(argv), std::move(opts));
  auto proc = co_await std::move(spawn);
  auto [out, err] = co_await proc->communicate();
  co_return std::make_pair(out + err, proc->returncode().value_or(-1000));
}

template <class W>
Task<std::pair<std::string, std::string>> shell_output(std::string cmd, SubprocessOptions opts) {
  install_programs<W>();
  auto spawn = create_subprocess_shell(std::move(cmd), std::move(opts));
  auto proc = co_await std::move(spawn);
  co_return co_await proc->communicate();
}

TYPED_TEST(SubprocessWorldsTest, StdoutPipe) {
  Argv argv = {"echo", "hello", "world"};
  EXPECT_EQ(TypeParam::run(exec_output<TypeParam>(argv, pipes(INHERIT, PIPE))),
            (std::pair<std::string, int>{"hello world\n", 0}));
}

TYPED_TEST(SubprocessWorldsTest, ExitCodeIsTheReturncode) {
  auto main = []() -> Task<std::pair<int, int>> {
    install_programs<TypeParam>();
    auto spawn = create_subprocess_shell("exit 3");
    auto proc = co_await std::move(spawn);
    // On the real loop a fast child may already be reaped here (a race with the machine's
    // load), so only the simulated world, whose programs start 1 ms after the spawn, checks it.
    const bool running = !proc->returncode().has_value() || !TypeParam::kSimulated;
    int rc = co_await proc->wait();
    co_return std::make_pair(running ? rc : -1, proc->returncode().value_or(-1));
  };
  EXPECT_EQ(TypeParam::run(main()), (std::pair<int, int>{3, 3}));
}

TYPED_TEST(SubprocessWorldsTest, StderrIntoStdout) {
  auto result = TypeParam::run(
      shell_output<TypeParam>("echo out; echo err >&2", pipes(INHERIT, PIPE, STDOUT)));
  EXPECT_EQ(result, (std::pair<std::string, std::string>{"out\nerr\n", ""}));
}

TYPED_TEST(SubprocessWorldsTest, SeparateStderrPipe) {
  auto result = TypeParam::run(
      shell_output<TypeParam>("echo out; echo err >&2", pipes(INHERIT, PIPE, PIPE)));
  EXPECT_EQ(result, (std::pair<std::string, std::string>{"out\n", "err\n"}));
}

TYPED_TEST(SubprocessWorldsTest, DevNullStdinReadsNothing) {
  Argv argv = {"cat"};
  EXPECT_EQ(TypeParam::run(exec_output<TypeParam>(argv, pipes(DEVNULL, PIPE, DEVNULL))),
            (std::pair<std::string, int>{"", 0}));
}

TYPED_TEST(SubprocessWorldsTest, CwdAndEnvironment) {
  SubprocessOptions opts = pipes(INHERIT, PIPE);
  opts.cwd = "/";
  opts.env = std::vector<std::string>{"FOO=bar", "PATH=/usr/bin:/bin"};
  Argv argv = {"/bin/sh", "-c", "pwd; echo $FOO"};
  EXPECT_EQ(TypeParam::run(exec_output<TypeParam>(argv, opts)),
            (std::pair<std::string, int>{"/\nbar\n", 0}));
}

TYPED_TEST(SubprocessWorldsTest, MissingProgramRaisesFileNotFoundErrorWithThePath) {
  auto main = []() -> Task<std::pair<int, std::string>> {
    install_programs<TypeParam>();
    Argv argv = {"/no/such/program-weft"};
    try {
      auto spawn = create_subprocess_exec(argv);
      co_await std::move(spawn);
    } catch (const FileNotFoundError& e) {
      co_return std::make_pair(e.err(), std::string(e.what()));
    }
    co_return std::make_pair(0, std::string("started"));
  };
  EXPECT_EQ(TypeParam::run(main()),
            (std::pair<int, std::string>{
                ENOENT,
                "[Errno 2] No such file or directory: '/no/such/program-weft'"}));
}

TYPED_TEST(SubprocessWorldsTest, TenMebibytesThroughCatWithoutDeadlock) {
  auto main = []() -> Task<std::pair<size_t, bool>> {
    install_programs<TypeParam>();
    std::string input(10 << 20, '\0');
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
    Argv argv = {"cat"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE));
    auto proc = co_await std::move(spawn);
    auto [out, err] = co_await proc->communicate(input);
    co_return std::make_pair(out.size(), out == input && proc->returncode() == 0);
  };
  EXPECT_EQ(TypeParam::run(main()), (std::pair<size_t, bool>{10u << 20, true}));
}

TYPED_TEST(SubprocessWorldsTest, InteractiveStreams) {
  auto main = []() -> Task<std::vector<std::string>> {
    install_programs<TypeParam>();
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
  EXPECT_EQ(TypeParam::run(main()), (std::vector<std::string>{"first\n", "second\n", "", "0"}));
}

TYPED_TEST(SubprocessWorldsTest, KillEndsAHungChild) {
  auto main = []() -> Task<int> {
    install_programs<TypeParam>();
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    proc->kill();
    co_return co_await proc->wait();
  };
  EXPECT_EQ(TypeParam::run(main()), -SIGKILL);
}

TYPED_TEST(SubprocessWorldsTest, TerminateSendsSigterm) {
  auto main = []() -> Task<int> {
    install_programs<TypeParam>();
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    proc->terminate();
    co_return co_await proc->wait();
  };
  EXPECT_EQ(TypeParam::run(main()), -SIGTERM);
}

TYPED_TEST(SubprocessWorldsTest, SignalAfterTheChildIsReapedRaisesProcessLookupError) {
  auto main = []() -> Task<int> {
    install_programs<TypeParam>();
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
  EXPECT_EQ(TypeParam::run(main()), ESRCH);
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

TYPED_TEST(SubprocessWorldsTest, ProtocolLevelSubprocess) {
  auto main = []() -> Task<std::vector<std::string>> {
    install_programs<TypeParam>();
    auto spawn = subprocess_shell([] { return std::make_shared<Recorder>(); },
                                  "echo to-out; echo to-err >&2; exit 5", pipes(INHERIT, PIPE, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    const bool has_pid = transport->get_pid() > 0 &&
                         std::get<int>(transport->get_extra_info("pid")) == transport->get_pid();
    const bool no_stdin = transport->get_pipe_transport(0) == nullptr;
    co_await proto->lost;
    std::vector<std::string> middle(proto->events.begin() + 1, proto->events.end() - 1);
    std::sort(middle.begin(), middle.end());
    std::vector<std::string> got = {proto->output[1], proto->output[2],
                                    std::to_string(transport->get_returncode().value_or(-1)),
                                    proto->events.front(), proto->events.back()};
    got.insert(got.end(), middle.begin(), middle.end());
    if (!has_pid || !no_stdin) got.push_back("bad pid or pipes");
    co_return got;
  };
  // "made", then pipe_lost:1, pipe_lost:2 and exited in the order they happen, then "lost".
  EXPECT_EQ(TypeParam::run(main()),
            (std::vector<std::string>{"to-out\n", "to-err\n", "5", "made", "lost", "exited",
                                      "pipe_lost:1", "pipe_lost:2"}));
}

TYPED_TEST(SubprocessWorldsTest, CommunicateIgnoresAChildThatStopsReading) {
  auto main = []() -> Task<int> {
    install_programs<TypeParam>();
    Argv argv = {"true"};
    auto spawn = create_subprocess_exec(argv, pipes(PIPE, DEVNULL));
    auto proc = co_await std::move(spawn);
    co_await proc->wait();
    std::string input(1 << 20, 'x');
    co_await proc->communicate(input);
    co_return proc->returncode().value_or(-1);
  };
  EXPECT_EQ(TypeParam::run(main()), 0);
}

TYPED_TEST(SubprocessWorldsTest, ChildStillRunningWhenTheLoopClosesIsReaped) {
  auto main = []() -> Task<int> {
    install_programs<TypeParam>();
    Argv argv = {"sleep", "1000"};
    auto spawn = create_subprocess_exec(argv);
    auto proc = co_await std::move(spawn);
    co_return proc->pid();
  };
  const int pid = TypeParam::run(main());
  EXPECT_GT(pid, 0);
  if constexpr (!TypeParam::kSimulated) {
    EXPECT_EQ(::kill(pid, 0), -1);  // no process, not even a zombie
    EXPECT_EQ(errno, ESRCH);
  }
}


// What the loop's observers see of a child (runtime/observer.h): its spawn with the argv, every
// byte written to its stdin and read from its stdout / stderr, and its exit code, all named by
// the process's resource id; runtime/io's transport emits them, the same on both worlds.
class ProcessEvents final : public LoopObserver {
 public:
  void on_process_spawned(uint64_t process, const std::vector<std::string>& argv) override {
    std::string line = "spawned";
    for (const auto& a : argv) line += " [" + a + "]";
    events.push_back(line);
    ids.push_back(process);
  }
  void on_process_io(uint64_t process, int fd, IoDirection direction,
                     std::string_view data) override {
    events.push_back("io");
    io[std::to_string(fd) + (direction == IoDirection::kIn ? " in: " : " out: ")] +=
        std::string(data);
    ids.push_back(process);
  }
  void on_process_exited(uint64_t process, int returncode) override {
    events.push_back("exited " + std::to_string(returncode));
    ids.push_back(process);
  }
  std::vector<std::string> events;
  std::map<std::string, std::string> io;  // the bytes per pipe and direction, concatenated
  std::vector<uint64_t> ids;
};

// Runs `cat; echo oops >&2; exit 3` with three pipes under an observer and summarizes what it
// saw: the first event, then the kinds of the others (sorted, once each: the real world's
// exit and its last reads race), how many exits, the bytes per pipe, whether every event named
// the Process's resource id, and what communicate() returned.
template <class W>
Task<std::vector<std::string>> observed_child() {
  install_programs<W>();
  ProcessEvents observer;
  EventLoop& loop = get_running_loop();
  loop.add_observer(&observer);
  Argv argv = {"/bin/sh", "-c", "cat; echo oops >&2; exit 3"};
  auto spawn = create_subprocess_exec(argv, pipes(PIPE, PIPE, PIPE));
  auto proc = co_await std::move(spawn);
  std::string input = "hello\n";
  auto [out, err] = co_await proc->communicate(input);
  loop.remove_observer(&observer);

  std::vector<std::string> got;
  const auto& ev = observer.events;
  got.push_back(ev.empty() ? "nothing" : ev.front());
  std::vector<std::string> rest(ev.empty() ? ev.end() : ev.begin() + 1, ev.end());
  got.push_back("exits " + std::to_string(std::count_if(rest.begin(), rest.end(), [](auto& e) {
                  return e.rfind("exited", 0) == 0;
                })));
  std::sort(rest.begin(), rest.end());
  rest.erase(std::unique(rest.begin(), rest.end()), rest.end());
  got.insert(got.end(), rest.begin(), rest.end());
  for (const auto& [key, data] : observer.io) got.push_back(key + data);
  const bool same_id = !observer.ids.empty() &&
                       std::all_of(observer.ids.begin(), observer.ids.end(),
                                   [&](uint64_t id) { return id == proc->resource_id(); });
  got.push_back(same_id ? "ids: the process's" : "ids: not the process's");
  got.push_back("rc " + std::to_string(proc->returncode().value_or(-1000)) + " out " + out +
                "err " + err);
  co_return got;
}

const std::vector<std::string> kObservedChild = {
    "spawned [/bin/sh] [-c] [cat; echo oops >&2; exit 3]",
    "exits 1",
    "exited 3",
    "io",
    "0 out: hello\n",
    "1 in: hello\n",
    "2 in: oops\n",
    "ids: the process's",
    "rc 3 out hello\nerr oops\n",
};

TYPED_TEST(SubprocessWorldsTest, ObserverSeesSpawnIoAndExitWithExactBytes) {
  EXPECT_EQ(TypeParam::run(observed_child<TypeParam>()), kObservedChild);
}

// The simulated world over seeds and both strategies: partial reads and the order of ready
// entries vary, the events and bytes do not.
TEST(SubprocessObserverSeedsTest, SameEventsUnderEverySeed) {
  sim::testing::expect_for_seeds([] { return observed_child<testing::SimWorld>(); },
                                 kObservedChild, 40);
}


// A protocol callback that raises is reported to the loop's exception handler, as asyncio
// reports a callback that raised; the pipe goes on reading and the transport still finishes.
class ThrowingRecorder final : public SubprocessProtocol {
 public:
  void pipe_data_received(int fd, std::string data) override {
    output += data;
    if (fd == 1 && !thrown) {
      thrown = true;
      throw ValueError("bad output");
    }
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    events.push_back("pipe_lost:" + std::to_string(fd) + (exc ? " with error" : ""));
  }
  void process_exited() override { events.push_back("exited"); }
  void connection_lost(std::exception_ptr) override {
    events.push_back("lost");
    lost.set_result();
  }
  std::vector<std::string> events;
  std::string output;
  bool thrown = false;
  Future<void> lost;
};

TYPED_TEST(SubprocessWorldsTest, ProtocolCallbackThatRaisesIsReportedAndTheTransportFinishes) {
  auto main = []() -> Task<std::vector<std::string>> {
    install_programs<TypeParam>();
    auto reports = std::make_shared<std::vector<std::string>>();
    get_running_loop().set_exception_handler(
        [reports](EventLoop&, const ExceptionContext& context) {
          std::string what = "?";
          try {
            std::rethrow_exception(context.exception);
          } catch (const ValueError& e) {
            what = e.what();
          } catch (...) {
            // Only naming it; the test compares the text.
          }
          reports->push_back(context.message + ": " + what);
        });
    auto spawn = subprocess_shell([] { return std::make_shared<ThrowingRecorder>(); },
                                  "echo one; echo two", pipes(INHERIT, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    co_await proto->lost;
    std::vector<std::string> got = *reports;
    got.push_back(proto->output);
    got.push_back(proto->events.back());
    std::vector<std::string> middle(proto->events.begin(), proto->events.end() - 1);
    std::sort(middle.begin(), middle.end());
    got.insert(got.end(), middle.begin(), middle.end());
    co_return got;
  };
  EXPECT_EQ(TypeParam::run(main()),
            (std::vector<std::string>{"Exception in a SubprocessProtocol callback: bad output",
                                      "one\ntwo\n", "lost", "exited", "pipe_lost:1"}));
}


// close() on a running child's transport closes its pipes and kills it (asyncio's
// BaseSubprocessTransport.close); the protocol still hears every pipe's loss and connection_lost.
TYPED_TEST(SubprocessWorldsTest, ClosingTheTransportKillsARunningChild) {
  auto main = []() -> Task<std::vector<std::string>> {
    install_programs<TypeParam>();
    Argv argv = {"sleep", "1000"};
    auto spawn = subprocess_exec([] { return std::make_shared<Recorder>(); }, argv,
                                 pipes(PIPE, PIPE, PIPE));
    auto [transport, proto] = co_await std::move(spawn);
    transport->close();
    const bool closing = transport->is_closing();
    co_await proto->lost;
    std::vector<std::string> got = {std::to_string(transport->get_returncode().value_or(-1000)),
                                    closing ? "closing" : "open"};
    std::vector<std::string> events = proto->events;
    std::sort(events.begin(), events.end());
    got.insert(got.end(), events.begin(), events.end());
    co_return got;
  };
  EXPECT_EQ(TypeParam::run(main()),
            (std::vector<std::string>{std::to_string(-SIGKILL), "closing", "exited", "lost", "made",
                                      "pipe_lost:0", "pipe_lost:1", "pipe_lost:2"}));
}

// Sees exits only: the cancelled spawn below hands its Process to nobody.
class ExitWatch final : public LoopObserver {
 public:
  void on_process_spawned(uint64_t, const std::vector<std::string>&) override { ++spawned; }
  void on_process_exited(uint64_t, int rc) override { returncodes.push_back(rc); }
  int spawned = 0;
  std::vector<int> returncodes;
};

// A spawn cancelled after one step of the spawner (asyncio's create_task + sleep(0) + cancel).
// Returns the outcome ("cancelled", or "spawned" when the spawn had already returned: then the
// test kills the child itself), the spawns and exit codes the observer saw, and on the simulated
// loop the children still running once the exits are in ("live N").
template <class W>
Task<std::vector<std::string>> cancel_a_spawn_after_one_step() {
  install_programs<W>();
  ExitWatch watch;
  EventLoop& loop = get_running_loop();
  loop.add_observer(&watch);
  Argv argv = {"sleep", "1000"};
  auto spawn = create_task(create_subprocess_exec(argv));
  co_await sleep(0);
  spawn.cancel();
  std::string outcome;
  try {
    std::shared_ptr<Process> proc = co_await spawn;
    outcome = "spawned";
    proc->kill();
    Task<int> waiting = proc->wait();
    co_await std::move(waiting);
  } catch (const CancelledError&) {
    outcome = "cancelled";
  }
  // The real child's death arrives through its pidfd (or reaper thread): wait for it with a
  // margin no machine needs (10 s), checking every 10 ms.
  for (int i = 0; i < 1000 && watch.returncodes.size() < static_cast<size_t>(watch.spawned); ++i) {
    co_await sleep(0.01);
  }
  loop.remove_observer(&watch);
  std::vector<std::string> got = {outcome, std::to_string(watch.spawned)};
  for (int rc : watch.returncodes) got.push_back(std::to_string(rc));
  if constexpr (W::kSimulated) {
    got.push_back("live " + std::to_string(sim::current_loop().processes().live()));
  }
  co_return got;
}

// Field by field: g++ 12 warns (-Wmissing-field-initializers) on a designated initializer that
// leaves SimConfig's other fields to their defaults.
sim::SimConfig schedule(uint64_t seed, sim::Strategy strategy) {
  sim::SimConfig config;
  config.seed = seed;
  config.strategy = strategy;
  return config;
}

// What holds under every schedule: no spawn and nothing left (the cancel ran before the spawner's
// first step: asyncio's order runs that step first, the random strategy need not); or one child,
// killed (SIGKILL) and reaped while the loop runs (not only when the loop closes), whether the
// cancel killed it or came after the spawn had returned.
bool holds_under_every_schedule(std::vector<std::string> got) {
  if (got.empty() || got.back() != "live 0") return false;
  got.pop_back();
  const std::string killed = std::to_string(-SIGKILL);
  return got == std::vector<std::string>{"cancelled", "0"} ||
         got == std::vector<std::string>{"cancelled", "1", killed} ||
         got == std::vector<std::string>{"spawned", "1", killed};
}

// In asyncio's order (the real loop, the simulated one under fifo) the cancel lands while the
// spawn awaits its transport: the cancelled spawn kills the child, and it is still reaped.
TYPED_TEST(SubprocessWorldsTest, CancelledSpawnKillsTheChildAndItIsStillReaped) {
  std::vector<std::string> got = TypeParam::run(cancel_a_spawn_after_one_step<TypeParam>());
  const std::string killed = std::to_string(-SIGKILL);
  if constexpr (!TypeParam::kSimulated) {
    EXPECT_EQ(got, (std::vector<std::string>{"cancelled", "1", killed}));
  } else if constexpr (TypeParam::kStrategy == sim::Strategy::kFifo) {
    EXPECT_EQ(got, (std::vector<std::string>{"cancelled", "1", killed, "live 0"}));
  } else {
    EXPECT_TRUE(holds_under_every_schedule(got)) << ::testing::PrintToString(got);
  }
}

// The same over many random schedules, each outcome counted: all three happen, and the one the
// test is named for (the cancel kills a spawned child) is among them.
TEST(SubprocessCancelSeedsTest, CancelledSpawnUnderEverySchedule) {
  std::map<std::string, int> outcomes;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    auto result = sim::run(cancel_a_spawn_after_one_step<testing::SimWorld>(),
                           schedule(seed, sim::Strategy::kRandom));
    ASSERT_TRUE(result.ok()) << "seed " << seed;
    const std::vector<std::string>& got = result.value();
    EXPECT_TRUE(holds_under_every_schedule(got))
        << "seed " << seed << ": " << ::testing::PrintToString(got);
    ++outcomes[got.at(0) + " " + got.at(1)];
  }
  EXPECT_GT(outcomes["cancelled 0"], 0);
  EXPECT_GT(outcomes["cancelled 1"], 0);
  EXPECT_GT(outcomes["spawned 1"], 0);
}

// A spawn with three pipes cancelled after one step of the spawner: the cancel's close() can
// run before the pipes' connection_made entries. asyncio queued those first, so each pipe is
// still made, then lost; the transport connects, delivers the exit and every pipe's loss, and
// finishes (connection_lost). Returns the outcome, the protocol's events (made first, lost
// last, the rest sorted), the exit codes and the children left running.
Task<std::vector<std::string>> cancel_a_piped_spawn_after_one_step() {
  sim::define_basic_programs(sim::current_loop().processes());
  ExitWatch watch;
  EventLoop& loop = get_running_loop();
  loop.add_observer(&watch);
  auto made = std::make_shared<std::shared_ptr<Recorder>>();
  auto factory = [made] {
    *made = std::make_shared<Recorder>();
    return *made;
  };
  Argv argv = {"sleep", "1000"};
  auto spawn = create_task(subprocess_exec(factory, argv, pipes(PIPE, PIPE, PIPE)));
  co_await sleep(0);
  spawn.cancel();
  std::vector<std::string> got;
  try {
    auto spawned = co_await spawn;
    got.push_back("spawned");
    spawned.first->close();
  } catch (const CancelledError&) {
    got.push_back("cancelled");
  }
  if (std::shared_ptr<Recorder> protocol = *made) {
    Task<void> bounded = wait_for(protocol->lost, 60.0);
    try {
      co_await std::move(bounded);
    } catch (const TimeoutError&) {
      got.push_back("timeout");
    }
    std::vector<std::string> events = protocol->events;
    if (events.size() > 2) std::sort(events.begin() + 1, events.end() - 1);
    got.insert(got.end(), events.begin(), events.end());
  }
  for (int i = 0; i < 1000 && watch.returncodes.size() < static_cast<size_t>(watch.spawned); ++i) {
    co_await sleep(0.01);
  }
  loop.remove_observer(&watch);
  for (int rc : watch.returncodes) got.push_back(std::to_string(rc));
  got.push_back("live " + std::to_string(sim::current_loop().processes().live()));
  co_return got;
}

TEST(SubprocessCancelSeedsTest, CancelledSpawnWithPipesStillFinishesTheTransport) {
  const std::vector<std::string> finished = {"made", "exited", "pipe_lost:0", "pipe_lost:1",
                                             "pipe_lost:2", "lost", std::to_string(-SIGKILL),
                                             "live 0"};
  std::map<std::string, int> outcomes;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    for (auto strategy : {sim::Strategy::kFifo, sim::Strategy::kRandom}) {
      const std::string where =
          "seed " + std::to_string(seed) + " " + sim::strategy_name(strategy);
      auto result = sim::run(cancel_a_piped_spawn_after_one_step(), schedule(seed, strategy));
      ASSERT_TRUE(result.ok()) << where;
      std::vector<std::string> got = result.value();
      ASSERT_FALSE(got.empty()) << where;
      const std::string outcome = got.front();
      got.erase(got.begin());
      if (got == std::vector<std::string>{"live 0"}) {
        // Cancelled before the spawner's first step: no factory call, no child.
        EXPECT_EQ(outcome, "cancelled") << where;
        ++outcomes["nothing spawned"];
        continue;
      }
      EXPECT_EQ(got, finished) << where << " (" << outcome << ")";
      ++outcomes[outcome];
      if (strategy == sim::Strategy::kFifo) {
        EXPECT_EQ(outcome, "cancelled") << where;
      }
    }
  }
  EXPECT_GT(outcomes["cancelled"], 0);
  EXPECT_GT(outcomes["nothing spawned"], 0);
}

}  // namespace
}  // namespace weft
