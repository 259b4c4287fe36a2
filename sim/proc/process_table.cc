#include "sim/proc/process_table.h"

#include <errno.h>
#include <signal.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/os_error.h"
#include "runtime/sleep.h"
#include "sim/proc/fake_shell.h"
#include "sim/proc/pipes.h"
#include "sim/proc/sim_process.h"
#include "sim/sim_loop.h"

namespace weft::sim {
namespace {

using proc_internal::Pipe;
using proc_internal::PipeReader;
using proc_internal::SimProcess;
using proc_internal::SimSubprocessTransport;

// The program's task body: the start-up delay, then the program. The extra frame also makes a
// Program that throws before returning its Task fail the same way as one that throws inside it.
Task<int> run_program(const Program* program, ProgramContext* context,
                      std::chrono::nanoseconds startup) {
  if (startup.count() > 0) co_await weft::sleep(startup);
  Task<int> body = (*program)(*context);
  co_return co_await std::move(body);
}

std::string_view basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string join_cwd(const std::string& base, const std::string& dir) {
  if (dir.empty() || dir[0] == '/') return dir;
  if (base.empty() || base.back() == '/') return base + dir;
  return base + "/" + dir;
}

}  // namespace

ProcessTable::ProcessTable(SimLoop& loop) : loop_(loop), shell_(fake_shell) {}

ProcessTable::~ProcessTable() { release_all(); }

void ProcessTable::release_all() {
  // The loop closed: callbacks that would have finished the transports are gone, so break
  // what they would have broken.
  for (auto& [pid, p] : live_) {
    if (auto t = p->transport.lock()) t->abandon();
  }
  for (auto& p : ended_) {
    if (auto t = p->transport.lock()) t->abandon();
  }
}

void ProcessTable::define(std::string name, Program program) {
  if (name.empty()) throw ValueError("ProcessTable::define: empty program name");
  if (!program) throw ValueError("ProcessTable::define: empty program");
  programs_[std::move(name)] = std::move(program);
}

const Program* ProcessTable::resolve(std::string_view name) const {
  if (name.empty()) return nullptr;
  if (auto it = programs_.find(name); it != programs_.end()) return &it->second;
  const std::string_view base = basename_of(name);
  if (base != name && !base.empty()) {
    if (auto it = programs_.find(base); it != programs_.end()) return &it->second;
  }
  if (base == "sh") return &shell_;
  return nullptr;
}

bool ProcessTable::signal(int pid, int sig) {
  auto it = live_.find(pid);
  if (it == live_.end()) return false;
  auto process = it->second;  // delivering may end it
  process->deliver(sig);
  return true;
}

std::shared_ptr<ProgramOutput> ProcessTable::make_output(Stdio mode, int fd, SimProcess& p) {
  auto out = std::make_shared<ProgramOutput>();
  out->loop_ = &loop_;
  out->process_ = &p;
  switch (mode) {
    case Stdio::kPipe: {
      auto pipe = std::make_shared<Pipe>(pipe_capacity_);
      std::weak_ptr<ProgramOutput::Waiters> waiters = out->waiters_;
      pipe->set_on_writable([waiters] {
        if (auto list = waiters.lock()) {
          for (auto& w : *list) {
            if (!w.done()) w.set_result();
          }
        }
      });
      out->mode_ = ProgramOutput::Mode::kPipe;
      out->pipe_ = pipe;
      p.pipes[fd] = std::move(pipe);
      break;
    }
    case Stdio::kInherit:
      out->mode_ = ProgramOutput::Mode::kCollect;
      out->collect_ = &inherited_[fd - 1];
      break;
    case Stdio::kDevNull:
    case Stdio::kStdout:  // handled by the caller (stderr only)
      out->mode_ = ProgramOutput::Mode::kDiscard;
      break;
  }
  return out;
}

std::shared_ptr<SimProcess> ProcessTable::spawn(const Program& program,
                                                std::vector<std::string> argv,
                                                const SubprocessOptions& options) {
  auto p = std::make_shared<SimProcess>(*this, loop_, next_pid_++);
  ++spawned_;
  p->program = program;
  p->argv = argv;

  p->in = std::make_shared<StreamReader>();
  if (options.stdin_mode == Stdio::kPipe) {
    p->pipes[0] = std::make_shared<Pipe>(pipe_capacity_);
    std::weak_ptr<StreamReader> in = p->in;
    PipeReader::Sink sink;
    sink.data = [in](std::string data) {
      if (auto r = in.lock()) r->feed_data(data);
    };
    sink.eof = [in] {
      if (auto r = in.lock()) r->feed_eof();
    };
    p->stdin_reader =
        std::make_shared<PipeReader>(loop_, p->pipes[0], std::move(sink), p->resource_id);
    p->in->set_transport(p->stdin_reader);
    p->stdin_reader->start();
  } else {
    p->in->feed_eof();  // DEVNULL, and INHERIT: the simulated world has no terminal to read
  }
  p->out = make_output(options.stdout_mode, 1, *p);
  p->err = options.stderr_mode == Stdio::kStdout ? p->out : make_output(options.stderr_mode, 2, *p);

  std::vector<std::string> env = options.env ? *options.env : environ_;
  std::string cwd = options.cwd ? join_cwd(cwd_, *options.cwd) : cwd_;
  p->context.reset(new ProgramContext(p.get(), std::move(argv), std::move(env), std::move(cwd),
                                      p->in.get(), p->out.get(), p->err.get()));
  live_[p->pid] = p;

  Task<int> body = run_program(&p->program, p->context.get(), startup_delay_);
  p->task = loop_.create_task(std::move(body), absl::StrCat("process ", p->pid, " (",
                                                            p->argv[0], ")"));
  p->task.add_done_callback([this, pid = p->pid](AnyTask) { on_exit(pid); });
  return p;
}

void ProcessTable::on_exit(int pid) {
  auto it = live_.find(pid);
  if (it == live_.end()) return;
  std::shared_ptr<SimProcess> p = it->second;
  int returncode;
  if (p->killed_by != 0) {
    returncode = -p->killed_by;
  } else if (p->task.cancelled()) {
    returncode = -SIGKILL;  // cancelled from outside (the loop shutting down): as killed
  } else {
    try {
      returncode = p->task.result() & 0xff;
    } catch (const std::exception& e) {
      p->err->write_last_words(absl::StrCat(p->argv[0], ": uncaught exception: ", e.what(), "\n"));
      returncode = 1;
    } catch (...) {
      // Reported on the program's stderr and in its exit status; nothing else to hand it to.
      p->err->write_last_words(absl::StrCat(p->argv[0], ": uncaught exception\n"));
      returncode = 1;
    }
  }
  p->exited = true;
  // Its descriptors close with it: the parent reads EOF, its stdin writes fail.
  p->out->close();
  p->err->close();
  if (p->stdin_reader) p->stdin_reader->close();
  p->in->feed_eof();
  for (auto& w : p->signal_waiters) {
    if (!w.done()) w.cancel();
  }
  // Reaped at once: no zombies.
  live_.erase(it);
  ended_.push_back(p);
  if (auto transport = p->transport.lock()) transport->process_exited(returncode);
}

Task<std::shared_ptr<SubprocessTransport>> ProcessTable::subprocess_exec(
    SubprocessProtocolFactory factory, std::vector<std::string> argv, SubprocessOptions options) {
  if (argv.empty()) throw ValueError("subprocess_exec: empty argv");
  if (options.stdin_mode == Stdio::kStdout || options.stdout_mode == Stdio::kStdout) {
    throw ValueError("STDOUT can only be used for stderr");
  }
  const Program* program = resolve(argv[0]);
  if (!program) throw_os_error(ENOENT, absl::StrCat("'", argv[0], "'"));
  std::shared_ptr<SimProcess> p = spawn(*program, std::move(argv), options);
  std::shared_ptr<SubprocessProtocol> protocol;
  try {
    protocol = factory();
  } catch (...) {
    signal(p->pid, SIGKILL);  // nobody will ever own it; it is still reaped
    throw;
  }
  auto transport = std::make_shared<SimSubprocessTransport>(loop_, *this, p->pid, p->resource_id,
                                                            std::move(protocol));
  transport->attach(p->pipes);
  p->transport = transport;
  Future<void> waiter(loop_);
  transport->start(waiter);
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    transport->close();  // kills the child; it is still reaped
    throw;
  }
  co_return transport;
}

}  // namespace weft::sim
