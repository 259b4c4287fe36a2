// Internal to sim/proc: one fake process (its program task, pipes, streams and signal state) and
// the parent's SubprocessTransport for it, which follows EpollSubprocessTransport callback for
// callback: connection_made, then pipe_data_received / pipe_connection_lost per pipe and
// process_exited in the order they happen, then connection_lost once all are done.
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
#include "runtime/io/stream_reader.h"
#include "runtime/io/subprocess_protocol.h"
#include "runtime/io/subprocess_transport.h"
#include "runtime/task_handle.h"
#include "sim/proc/pipes.h"
#include "sim/proc/program_context.h"
#include "sim/proc/program_output.h"

namespace weft::sim {
class ProcessTable;
class SimLoop;
}  // namespace weft::sim

namespace weft::sim::proc_internal {

class SimSubprocessTransport;

// The highest signal number (Linux: SIGRTMAX is 64).
inline constexpr int kMaxSignal = 64;

// What a signal does to a program that has no handler for it.
enum class Disposition { kTerminate, kIgnore };
Disposition default_disposition(int sig);

struct SimProcess {
  SimProcess(ProcessTable& t, SimLoop& l, int p);

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
  std::shared_ptr<PipeReader> stdin_reader;    // the program's end of pipe 0
  std::shared_ptr<StreamReader> in;
  std::shared_ptr<ProgramOutput> out;
  std::shared_ptr<ProgramOutput> err;  // == out for stderr=STDOUT
  std::unique_ptr<ProgramContext> context;
  TaskHandle<int> task;
  std::weak_ptr<SimSubprocessTransport> transport;
  int killed_by = 0;  // the signal that ended it
  bool exited = false;
  std::set<int> handled;
  std::deque<int> pending;
  std::vector<Future<void>> signal_waiters;

 private:
  void end_with_signal(int sig);
};

class SimSubprocessTransport final
    : public SubprocessTransport,
      public std::enable_shared_from_this<SimSubprocessTransport> {
 public:
  // `resource`: the process's id (SimProcess::resource_id).
  SimSubprocessTransport(SimLoop& loop, ProcessTable& table, int pid, uint64_t resource,
                         std::shared_ptr<SubprocessProtocol> protocol);

  // Builds the parent's ends of the pipes that exist.
  void attach(const std::array<std::shared_ptr<Pipe>, 3>& pipes);
  // On the loop: starts the pipes, calls connection_made, then completes `waiter`.
  void start(Future<void> waiter);
  // The program has ended and was reaped with `returncode`.
  void process_exited(int returncode);
  // The loop is gone and with it the callbacks that would have called connection_lost: drop
  // the protocol and the pipes, which breaks the transport <-> protocol reference cycle.
  void abandon();

  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override;
  void send_signal(int sig) override;
  void terminate() override;
  void kill() override;
  void close() override;
  bool is_closing() const override { return closed_; }
  ExtraInfo get_extra_info(std::string_view name) const override;
  uint64_t resource_id() const override { return id_; }

 private:
  void pipe_data_received(int fd, std::string data);
  void pipe_connection_lost(int fd, std::exception_ptr exc);
  void notify_exited();
  void try_finish();

  SimLoop& loop_;
  ProcessTable& table_;
  const int pid_;
  const uint64_t id_;
  std::shared_ptr<SubprocessProtocol> protocol_;
  std::shared_ptr<PipeWriteTransport> stdin_;
  std::array<std::shared_ptr<PipeReader>, 3> readers_;  // [1], [2]
  std::array<bool, 3> has_pipe_{};
  std::array<bool, 3> disconnected_{};
  std::optional<int> returncode_;
  bool connected_ = false;
  bool exit_pending_ = false;
  bool exit_notified_ = false;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace weft::sim::proc_internal

#endif  // WEFT_SIM_PROC_SIM_PROCESS_H_
