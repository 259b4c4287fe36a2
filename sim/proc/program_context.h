// weft::sim::ProgramContext and Program: what a fake program (sim::ProcessTable::define) sees —
// argv, environment, working directory, its stdin / stdout / stderr and its signals — and the
// signature of a program: a coroutine `(ProgramContext&) -> Task<int>` whose value is the exit
// status. The context lives as long as the process table; programs must not keep it elsewhere.
#ifndef WEFT_SIM_PROC_PROGRAM_CONTEXT_H_
#define WEFT_SIM_PROC_PROGRAM_CONTEXT_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io/stream_reader.h"
#include "runtime/task.h"
#include "sim/proc/program_output.h"

namespace weft::sim {

class ProgramContext;
class ProcessTable;
namespace proc_internal {
struct SimProcess;
}  // namespace proc_internal

// A fake program. Its value is the exit status (as exit(2): only the low 8 bits survive, so
// returning 256 gives 0). A program that throws exits with 1 after writing
// "<argv[0]>: uncaught exception: <what()>" to its stderr.
using Program = std::function<Task<int>(ProgramContext&)>;

// Where a derived context's streams go (ProgramContext::derive); null keeps the stream.
struct ProgramRedirects {
  StreamReader* stdin_stream = nullptr;
  ProgramOutput* stdout_stream = nullptr;
  ProgramOutput* stderr_stream = nullptr;
};

class ProgramContext {
 public:
  using Redirects = ProgramRedirects;

  const std::vector<std::string>& argv() const { return argv_; }
  // "NAME=value" entries: options.env, or the table's environment when that is null.
  const std::vector<std::string>& env() const { return env_; }
  // The value of the first NAME= entry; null when there is none.
  std::optional<std::string> getenv(std::string_view name) const;
  const std::string& cwd() const { return cwd_; }
  int pid() const;

  // stdin: the parent's writes (PIPE), or at EOF at once (DEVNULL, INHERIT — the simulated
  // world has no terminal). weft: named as Process's streams; `stdin` is a C macro.
  StreamReader& stdin_stream() const { return *in_; }
  // stdout / stderr: PIPE to the parent, DEVNULL discards, INHERIT collects into
  // ProcessTable::inherited_output(1 or 2); stderr=STDOUT makes both the same stream.
  ProgramOutput& stdout_stream() const { return *out_; }
  ProgramOutput& stderr_stream() const { return *err_; }
  // Closes the process's stdin: the parent's writes then fail (BrokenPipeError), as when a real
  // child closes fd 0. Idempotent.
  void close_stdin();

  // Signals. By default SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1/2 (and the
  // other terminating signals) end the program at once with returncode -N; SIGCHLD, SIGCONT,
  // SIGURG, SIGWINCH are ignored; stop signals are not modelled (ignored). After
  // handle_signal(sig) a signal `sig` no longer ends the program: it is queued, for
  // take_signal() / wait_signal(). SIGKILL and SIGSTOP cannot be handled (ValueError).
  void handle_signal(int sig);
  // The oldest queued signal, removed; null when none is queued.
  std::optional<int> take_signal();
  // Waits for a handled signal and returns it (removed from the queue). A cancelled wait
  // removes nothing.
  Task<int> wait_signal();

  ProcessTable& table() const;

  // A context for running another program inside this process, as exec or a shell does: same
  // pid, signals and (unless redirected) streams; its own argv, environment and cwd.
  ProgramContext derive(std::vector<std::string> argv, std::vector<std::string> env,
                        std::string cwd, Redirects redirects = {}) const;

 private:
  friend class ProcessTable;
  ProgramContext(proc_internal::SimProcess* process, std::vector<std::string> argv,
                 std::vector<std::string> env, std::string cwd, StreamReader* in,
                 ProgramOutput* out, ProgramOutput* err);

  proc_internal::SimProcess* process_;
  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::string cwd_;
  StreamReader* in_;
  ProgramOutput* out_;
  ProgramOutput* err_;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_PROGRAM_CONTEXT_H_
