#include "sim/proc/sim_process.h"

#include <errno.h>
#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/io/process_lookup_error.h"
#include "sim/proc/process_table.h"
#include "sim/sim_loop.h"

namespace weft::sim::proc_internal {

SimProcess::SimProcess(ProcessTable& t, SimLoop& l, int p)
    : table(t), loop(l), pid(p), resource_id(l.next_resource_id()) {}

Disposition default_disposition(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
    // Stop signals are not modelled: a stopped program would just never run again.
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return Disposition::kIgnore;
    default:
      return Disposition::kTerminate;
  }
}

// ---- SimProcess ----

bool SimProcess::main_task_is_current() const {
  return task && loop.current_task_raw() == task.core();
}

void SimProcess::deliver(int sig) {
  // 0 only checks that the process exists; an invalid number is EINVAL, which the real
  // transport ignores as well.
  if (exited || killed_by != 0 || sig <= 0 || sig > kMaxSignal) return;
  if (sig != SIGKILL && sig != SIGSTOP && handled.count(sig)) {
    pending.push_back(sig);
    for (auto& w : signal_waiters) {
      if (!w.done()) w.set_result();
    }
    return;
  }
  if (sig == SIGKILL || default_disposition(sig) == Disposition::kTerminate) end_with_signal(sig);
}

bool SimProcess::raise_sigpipe() {
  if (exited) return false;
  if (killed_by != 0) return true;
  deliver(SIGPIPE);
  return killed_by != 0;
}

void SimProcess::end_with_signal(int sig) {
  killed_by = sig;
  if (!task || task.done()) return;
  std::string why = absl::StrCat("process ", pid, " killed by signal ", sig);
  if (main_task_is_current()) {
    // A running frame cannot be destroyed from inside: it dies when it next yields.
    call_soon_if_open(loop, [t = AnyTask(task), why] { t.core()->kill(why); });
  } else {
    task.core()->kill(why);
  }
}

// ---- SimSubprocessTransport ----

SimSubprocessTransport::SimSubprocessTransport(SimLoop& loop, ProcessTable& table, int pid,
                                               uint64_t resource,
                                               std::shared_ptr<SubprocessProtocol> protocol)
    : loop_(loop), table_(table), pid_(pid), id_(resource), protocol_(std::move(protocol)) {}

void SimSubprocessTransport::attach(const std::array<std::shared_ptr<Pipe>, 3>& pipes) {
  std::weak_ptr<SimSubprocessTransport> weak = weak_from_this();
  if (pipes[0]) {
    has_pipe_[0] = true;
    PipeWriteTransport::Sink sink;
    sink.pause = [weak] {
      if (auto self = weak.lock(); self && self->protocol_) self->protocol_->pause_writing();
    };
    sink.resume = [weak] {
      if (auto self = weak.lock(); self && self->protocol_) self->protocol_->resume_writing();
    };
    sink.lost = [weak](std::exception_ptr exc) {
      if (auto self = weak.lock()) self->pipe_connection_lost(0, std::move(exc));
    };
    stdin_ = std::make_shared<PipeWriteTransport>(loop_, pipes[0], std::move(sink), id_);
  }
  for (int fd : {1, 2}) {
    if (!pipes[fd]) continue;
    has_pipe_[fd] = true;
    PipeReader::Sink sink;
    sink.data = [weak, fd](std::string data) {
      if (auto self = weak.lock()) self->pipe_data_received(fd, std::move(data));
    };
    sink.lost = [weak, fd] {
      if (auto self = weak.lock()) self->pipe_connection_lost(fd, nullptr);
    };
    readers_[fd] = std::make_shared<PipeReader>(loop_, pipes[fd], std::move(sink), id_);
  }
}

void SimSubprocessTransport::start(Future<void> waiter) {
  // One callback, so the pipes cannot deliver anything before connection_made whatever order
  // the scheduling strategy picks.
  waiter.core()->set_resource_id(id_);
  call_soon_if_open(loop_, [self = shared_from_this(), waiter]() mutable {
    if (self->stdin_) self->stdin_->start();
    for (int fd : {1, 2}) {
      if (self->readers_[fd]) self->readers_[fd]->start();
    }
    if (self->protocol_) {
      self->connected_ = true;
      self->protocol_->connection_made(self);
    }
    if (self->exit_pending_) {
      self->exit_pending_ = false;
      call_soon_if_open(self->loop_, [self] { self->notify_exited(); }, self->id_);
    }
    call_soon_if_open(self->loop_, [waiter]() mutable {
      if (!waiter.done()) waiter.set_result();
    }, self->id_);
  }, id_);
}

std::shared_ptr<BaseTransport> SimSubprocessTransport::get_pipe_transport(int fd) const {
  if (fd == 0) return stdin_;
  if (fd == 1 || fd == 2) return readers_[fd];
  return nullptr;
}

void SimSubprocessTransport::send_signal(int sig) {
  if (finished_) {
    throw ProcessLookupError(ESRCH, absl::StrCat("[Errno 3] No such process: pid ", pid_));
  }
  if (returncode_) return;  // exited, not yet finished: nothing to signal (as Popen)
  table_.signal(pid_, sig);
}

void SimSubprocessTransport::terminate() { send_signal(SIGTERM); }
void SimSubprocessTransport::kill() { send_signal(SIGKILL); }

void SimSubprocessTransport::close() {
  if (closed_) return;
  closed_ = true;
  if (stdin_) stdin_->close();
  for (int fd : {1, 2}) {
    if (readers_[fd]) readers_[fd]->close();
  }
  if (!returncode_) table_.signal(pid_, SIGKILL);
}

ExtraInfo SimSubprocessTransport::get_extra_info(std::string_view name) const {
  if (name == "pid") return pid_;
  return std::monostate{};
}

void SimSubprocessTransport::pipe_data_received(int fd, std::string data) {
  if (protocol_ && connected_) protocol_->pipe_data_received(fd, std::move(data));
}

void SimSubprocessTransport::pipe_connection_lost(int fd, std::exception_ptr exc) {
  disconnected_[fd] = true;
  if (protocol_ && connected_) protocol_->pipe_connection_lost(fd, std::move(exc));
  try_finish();
}

void SimSubprocessTransport::process_exited(int returncode) {
  returncode_ = returncode;
  if (!connected_) {
    exit_pending_ = true;  // delivered right after connection_made
    return;
  }
  call_soon_if_open(loop_, [self = shared_from_this()] { self->notify_exited(); }, id_);
}

void SimSubprocessTransport::abandon() {
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  stdin_ = nullptr;
  for (auto& r : readers_) r = nullptr;
}

void SimSubprocessTransport::notify_exited() {
  exit_notified_ = true;
  if (protocol_ && connected_) protocol_->process_exited();
  try_finish();
}

void SimSubprocessTransport::try_finish() {
  // process_exited reaches the protocol before connection_lost under any schedule.
  if (finished_ || !exit_notified_) return;
  for (int i = 0; i < 3; ++i) {
    if (has_pipe_[i] && !disconnected_[i]) return;
  }
  finished_ = true;
  call_soon_if_open(loop_, [self = shared_from_this()] {
    auto protocol = std::move(self->protocol_);
    self->protocol_ = nullptr;
    if (protocol && self->connected_) protocol->connection_lost(nullptr);
  }, id_);
}

}  // namespace weft::sim::proc_internal
