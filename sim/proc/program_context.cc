#include "sim/proc/program_context.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "sim/proc/sim_process.h"
#include "sim/sim_loop.h"

namespace weft::sim {

ProgramContext::ProgramContext(proc_internal::SimProcess* process, std::vector<std::string> argv,
                               std::vector<std::string> env, std::string cwd, StreamReader* in,
                               ProgramOutput* out, ProgramOutput* err)
    : process_(process),
      argv_(std::move(argv)),
      env_(std::move(env)),
      cwd_(std::move(cwd)),
      in_(in),
      out_(out),
      err_(err) {}

std::optional<std::string> ProgramContext::getenv(std::string_view name) const {
  for (const auto& e : env_) {
    if (e.size() > name.size() && e[name.size()] == '=' && e.compare(0, name.size(), name) == 0) {
      return e.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

int ProgramContext::pid() const { return process_->pid; }

ProcessTable& ProgramContext::table() const { return process_->table; }

void ProgramContext::close_stdin() { process_->close_stdin(); }

void ProgramContext::handle_signal(int sig) {
  if (sig == SIGKILL || sig == SIGSTOP) {
    throw ValueError(absl::StrCat("signal ", sig, " cannot be caught"));
  }
  if (sig <= 0 || sig > proc_internal::kMaxSignal) {
    throw ValueError(absl::StrCat("signal number ", sig, " out of range"));
  }
  process_->handled.insert(sig);
}

std::optional<int> ProgramContext::take_signal() {
  if (process_->pending.empty()) return std::nullopt;
  int sig = process_->pending.front();
  process_->pending.pop_front();
  return sig;
}

Task<int> ProgramContext::wait_signal() {
  while (true) {
    if (auto sig = take_signal()) co_return *sig;
    Future<void> arrived(process_->loop);
    auto& list = process_->signal_waiters;
    list.push_back(arrived);
    struct Remove {
      std::vector<Future<void>>& list;
      Future<void> w;
      ~Remove() {
        auto it = std::find(list.begin(), list.end(), w);
        if (it != list.end()) list.erase(it);
      }
    } remove{list, arrived};
    co_await arrived;
  }
}

ProgramContext ProgramContext::derive(std::vector<std::string> argv, std::vector<std::string> env,
                                      std::string cwd, Redirects redirects) const {
  return ProgramContext(process_, std::move(argv), std::move(env), std::move(cwd),
                        redirects.stdin_stream ? redirects.stdin_stream : in_,
                        redirects.stdout_stream ? redirects.stdout_stream : out_,
                        redirects.stderr_stream ? redirects.stderr_stream : err_);
}

}  // namespace weft::sim
