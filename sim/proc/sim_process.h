// Internal to sim/proc: one fake process (its program task, pipes, streams and signal state) and
// the parent's view of it, SimChild: the simulated world's ChildProcess. asyncio's subprocess
// transport above it is runtime/io's, the same as over the real world's children.
#ifndef WEFT_SIM_PROC_SIM_PROCESS_H_
#define WEFT_SIM_PROC_SIM_PROCESS_H_

#include <array>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/future.h"
#include "runtime/io/child_process.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/stream_reader.h"
#include "runtime/task_handle.h"
#include "sim/proc/pipes.h"
#include "sim/proc/program_context.h"
#include "sim/proc/program_output.h"

namespace weft::sim {
class ProcessTable;
class SimLoop;
}  // namespace weft::sim

namespace weft::sim::proc_internal {

class SimChild;

// The highest signal number (Linux: SIGRTMAX is 64).
inline constexpr int kMaxSignal = 64;

// What a signal does to a program that has no handler for it.
enum class Disposition { kTerminate, kIgnore };
Disposition default_disposition(int sig);

struct SimProcess {
  SimProcess(ProcessTable& t, SimLoop& l, int p);

  // Closes the program's stdin: the parent's writes fail from now on (EPIPE), the program reads
  // EOF. Idempotent.
  void close_stdin();
  // Delivers `sig` (see ProgramContext::handle_signal for what it does).
  void deliver(int sig);
  // The program wrote to a pipe whose reader is gone: true when SIGPIPE ends it.
  bool raise_sigpipe();
  bool main_task_is_current() const;

  ProcessTable& table;
  SimLoop& loop;
  const int pid;
  // The loop-issued resource id (DESIGN.md §5) of the process, for both its sides: its pipes'
  // deliveries, its exit and the waits on them carry it.
  const uint64_t resource_id;
  Program program;  // kept here: a coroutine lambda's captures must outlive its frame
  std::vector<std::string> argv;
  std::array<std::shared_ptr<Pipe>, 3> pipes;  // null where that stream is no PIPE
  // The parent's ends, abandoned when the loop closes (ProcessTable::release_all).
  std::array<std::weak_ptr<PipeSocket>, 3> parent_ends;
  // The program's end of pipe 0 and the transport that feeds `in` from it.
  std::shared_ptr<PipeSocket> stdin_socket;
  std::shared_ptr<io_internal::StreamTransport> stdin_transport;
  std::shared_ptr<StreamReader> in;
  std::shared_ptr<ProgramOutput> out;
  std::shared_ptr<ProgramOutput> err;  // == out for stderr=STDOUT
  std::unique_ptr<ProgramContext> context;
  TaskHandle<int> task;
  std::weak_ptr<SimChild> child;
  int killed_by = 0;  // the signal that ended it
  bool exited = false;
  std::set<int> handled;
  std::deque<int> pending;
  std::vector<Future<void>> signal_waiters;

 private:
  void end_with_signal(int sig);
};

// A fake process as the simulated world's ChildProcess (runtime/io/child_process.h): the
// parent's pipe ends (PipeSockets) and the exit the table reports. asyncio's transport above it
// is runtime/io's, shared with the real world.
class SimChild final : public ChildProcess {
 public:
  SimChild(ProcessTable& table, int pid, uint64_t id,
           std::array<std::shared_ptr<PipeSocket>, 3> pipes)
      : table_(table), pid_(pid), id_(id), pipes_(std::move(pipes)) {}

  int pid() const override { return pid_; }
  uint64_t id() const override { return id_; }
  std::shared_ptr<StreamSocket> pipe(int fd) const override {
    return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;
  }
  void set_events(Events* events) override { events_ = events; }
  int send_signal(int sig) override;

  // The program ended and was reaped with `returncode`.
  void exited(int returncode);
  // The loop closed (ProcessTable::release_all).
  void abandon(std::vector<std::shared_ptr<void>>& graveyard) noexcept;

 private:
  ProcessTable& table_;
  const int pid_;
  const uint64_t id_;
  std::array<std::shared_ptr<PipeSocket>, 3> pipes_;
  Events* events_ = nullptr;
  bool gone_ = false;
};

}  // namespace weft::sim::proc_internal

#endif  // WEFT_SIM_PROC_SIM_PROCESS_H_
