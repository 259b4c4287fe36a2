// weft::sim::ProcessTable: the simulated world's ProcessService. A test defines fake programs by
// name — coroutines `(ProgramContext&) -> Task<int>` — and create_subprocess_exec / _shell /
// subprocess_exec on the simulated loop start them as tasks, with in-memory pipes, signals and
// exit statuses that behave as the epoll world's child processes do.
#ifndef WEFT_SIM_PROC_PROCESS_TABLE_H_
#define WEFT_SIM_PROC_PROCESS_TABLE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io/process_service.h"
#include "sim/proc/program_context.h"
#include "sim/proc/program_output.h"

namespace weft::sim {

class SimLoop;
namespace proc_internal {
struct SimProcess;
}  // namespace proc_internal

// Usage (inside a coroutine on the simulated loop):
//   auto& table = weft::sim::current_loop().processes();
//   table.define("greet", [](weft::sim::ProgramContext& ctx) -> weft::Task<int> {
//     std::string line = "hello " + ctx.argv().at(1) + "\n";
//     co_await ctx.stdout_stream().write(line);
//     co_return 0;
//   });
//   std::vector<std::string> argv = {"greet", "you"};
//   auto spawn = weft::create_subprocess_exec(argv, {.stdout_mode = weft::PIPE});
//   auto proc = co_await std::move(spawn);
//
// What it models, and what it does not:
// - argv[0] resolves to the program defined under that exact name, else (when it contains a
//   '/') under its basename: "/usr/bin/cat" finds "cat". No PATH search beyond that, no
//   filesystem: options.cwd is not checked. An unknown name raises FileNotFoundError
//   "[Errno 2] No such file or directory: '<argv[0]>'", as the epoll world does.
// - "sh" (so "/bin/sh", which create_subprocess_shell runs as {"/bin/sh", "-c", cmd}) is a
//   built-in fake shell unless a test defines "sh" or "/bin/sh" itself (see fake_shell.h).
// - Each program runs as its own task, created by the spawner (so in the spawner's task group:
//   killing a node kills its processes), starting startup_delay() (1 ms) after the spawn.
//   pids are 1000, 1001, ... per table.
// - Pipes hold `pipe_capacity()` bytes (64 KiB, as Linux); a program's write waits while its
//   pipe is full, the parent's writes are buffered by the transport with the usual water marks
//   (the parent's ends are StreamSockets under runtime/io's transports, as the real world's fds).
//   Each read takes a chunk whose size is a choice (ChoiceKind::kLatency; 0 = all buffered).
// - Signals end a program's task abruptly (TaskBase::kill) with returncode -N; see
//   ProgramContext::handle_signal for dispositions and handlers. A program that throws exits
//   with 1 after writing "<argv[0]>: uncaught exception: <what>\n" to its stderr; one whose task
//   is cancelled (loop shutdown) counts as killed by SIGKILL.
// - Tasks a program creates itself are not part of the process: they outlive a kill (keep
//   programs to one task, or await what they create). The contexts of ended processes stay
//   valid until the table dies, so such stragglers never touch freed memory; their writes fail
//   with OSError (EBADF).
// - INHERIT: stdin is at EOF at once; stdout / stderr are collected in inherited_output(1 / 2).
// - No zombies: a program is reaped as soon as it ends (live() counts the unreaped).
class ProcessTable final : public ProcessService {
 public:
  static constexpr int kFirstPid = 1000;
  static constexpr size_t kDefaultPipeCapacity = 64 * 1024;

  explicit ProcessTable(SimLoop& loop);
  ~ProcessTable() override;

  // Defines (or replaces) the program started for argv[0] == `name`.
  void define(std::string name, Program program);
  bool is_defined(std::string_view name) const { return programs_.count(std::string(name)) > 0; }
  // The program argv[0] names (rules above), or null. The pointer is valid until the next
  // define().
  const Program* resolve(std::string_view name) const;

  // The environment a child gets when options.env is null (default {"PATH=/usr/bin:/bin"}) and
  // the working directory when options.cwd is null (default "/").
  void set_environ(std::vector<std::string> env) { environ_ = std::move(env); }
  const std::vector<std::string>& environ() const { return environ_; }
  void set_cwd(std::string cwd) { cwd_ = std::move(cwd); }
  const std::string& cwd() const { return cwd_; }

  // Virtual time between the spawn and the program's first step (exec is not free: default
  // 1 ms), so subprocess_exec returns before even a trivial program has run, as in practice on
  // the real loop. Zero starts the program on the next iteration.
  void set_startup_delay(std::chrono::nanoseconds delay) { startup_delay_ = delay; }
  std::chrono::nanoseconds startup_delay() const { return startup_delay_; }

  // Bytes a pipe holds; applies to pipes created afterwards. ValueError unless bytes > 0 (signed,
  // so -1 is refused rather than read as 2^64 - 1).
  void set_pipe_capacity(long bytes) {
    if (bytes <= 0) throw ValueError("set_pipe_capacity: bytes must be > 0");
    pipe_capacity_ = static_cast<size_t>(bytes);
  }
  size_t pipe_capacity() const { return pipe_capacity_; }

  // What programs wrote to an INHERIT stdout (fd 1) or stderr (fd 2): the simulated terminal.
  const std::string& inherited_output(int fd) const { return fd == 2 ? inherited_[1] : inherited_[0]; }

  // For SimLoop::close(): abandons every child and pipe end still held (ChildProcess::Events /
  // StreamSocket::Events::on_abandoned), so the transports drop their protocols uncalled (the
  // transport<->protocol cycle would leak).
  void release_all();

  // Processes started and not yet reaped / started in all.
  size_t live() const { return live_.size(); }
  uint64_t spawned() const { return spawned_; }
  // Sends `sig` to a live process (as kill(2)); false when `pid` is not live.
  bool signal(int pid, int sig);

  // Starts the program argv[0] names (rules above) as a task; FileNotFoundError when none does.
  std::shared_ptr<ChildProcess> spawn(std::vector<std::string> argv,
                                      const SubprocessOptions& options) override;

 private:
  std::shared_ptr<proc_internal::SimProcess> start_process(const Program& program,
                                                           std::vector<std::string> argv,
                                                           const SubprocessOptions& options);
  std::shared_ptr<ProgramOutput> make_output(Stdio mode, int fd, proc_internal::SimProcess& p);
  void on_exit(int pid);

  SimLoop& loop_;
  std::map<std::string, Program, std::less<>> programs_;
  Program shell_;
  std::vector<std::string> environ_ = {"PATH=/usr/bin:/bin"};
  std::string cwd_ = "/";
  size_t pipe_capacity_ = kDefaultPipeCapacity;
  std::chrono::nanoseconds startup_delay_ = std::chrono::milliseconds(1);
  std::string inherited_[2];
  int next_pid_ = kFirstPid;
  uint64_t spawned_ = 0;
  std::map<int, std::shared_ptr<proc_internal::SimProcess>> live_;
  // Ended processes, kept so straggler tasks of a program never see a freed context.
  std::vector<std::shared_ptr<proc_internal::SimProcess>> ended_;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_PROCESS_TABLE_H_
