#include "sim/proc/sim_process.h"

#include <errno.h>
#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"
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

void SimProcess::close_stdin() {
  // The pipe first, so the parent's next write fails at once (a real close(0) does that).
  if (pipes[0]) pipes[0]->close_read();
  if (stdin_transport) stdin_transport->close();
  if (in) in->feed_eof();
}

// ---- SimChild ----

int SimChild::send_signal(int sig) {
  if (gone_) return ESRCH;
  return table_.signal(pid_, sig) ? 0 : ESRCH;
}

void SimChild::exited(int returncode) {
  gone_ = true;
  if (events_) events_->on_exited(returncode);
}

void SimChild::abandon(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  gone_ = true;
  if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
}

}  // namespace weft::sim::proc_internal
