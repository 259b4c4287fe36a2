#include "sim/proc/process_table.h"

#include <errno.h>
#include <signal.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/internal/stream_protocol.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/os_error.h"
#include "runtime/sleep.h"
#include "sim/proc/fake_shell.h"
#include "sim/proc/pipes.h"
#include "sim/proc/sim_process.h"
#include "sim/sim_loop.h"

namespace weft::sim {
namespace {

using proc_internal::Pipe;
using proc_internal::PipeSocket;
using proc_internal::SimChild;
using proc_internal::SimProcess;

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
  // what they would have broken. What the owners let go of is destroyed last, once our own
  // state is consistent.
  std::vector<std::shared_ptr<void>> graveyard;
  auto release = [&graveyard](SimProcess& p) {
    if (auto child = p.child.lock()) child->abandon(graveyard);
    for (auto& weak : p.parent_ends) {
      if (auto end = weak.lock()) end->vanish(graveyard);
    }
    if (p.stdin_socket) p.stdin_socket->vanish(graveyard);
  };
  for (auto& [pid, p] : live_) release(*p);
  for (auto& p : ended_) release(*p);
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

std::shared_ptr<SimProcess> ProcessTable::start_process(const Program& program,
                                                std::vector<std::string> argv,
                                                const SubprocessOptions& options) {
  auto p = std::make_shared<SimProcess>(*this, loop_, next_pid_++);
  ++spawned_;
  p->program = program;
  p->argv = argv;

  p->in = std::make_shared<StreamReader>();
  if (options.stdin_mode == Stdio::kPipe) {
    // The program reads its stdin through the same transport the parent's pipes use.
    p->pipes[0] = std::make_shared<Pipe>(pipe_capacity_);
    p->stdin_socket = PipeSocket::make(loop_, p->pipes[0], StreamSocket::Kind::kReadPipe,
                                       p->resource_id);
    p->stdin_transport = std::make_shared<io_internal::StreamTransport>(
        loop_, p->stdin_socket, std::make_shared<io_internal::StreamReaderProtocol>(p->in));
    p->stdin_transport->start();
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
  p->close_stdin();
  for (auto& w : p->signal_waiters) {
    if (!w.done()) w.cancel();
  }
  // Reaped at once: no zombies.
  live_.erase(it);
  ended_.push_back(p);
  if (auto child = p->child.lock()) child->exited(returncode);
}

std::shared_ptr<ChildProcess> ProcessTable::spawn(std::vector<std::string> argv,
                                                  const SubprocessOptions& options) {
  if (argv.empty()) throw ValueError("spawn: empty argv");
  const Program* program = resolve(argv[0]);
  if (!program) throw_os_error(ENOENT, absl::StrCat("'", argv[0], "'"));
  std::shared_ptr<SimProcess> p = start_process(*program, std::move(argv), options);
  std::array<std::shared_ptr<PipeSocket>, 3> ends;
  for (int fd = 0; fd < 3; ++fd) {
    if (!p->pipes[fd]) continue;
    ends[fd] = PipeSocket::make(loop_, p->pipes[fd],
                                fd == 0 ? StreamSocket::Kind::kWritePipe
                                        : StreamSocket::Kind::kReadPipe,
                                p->resource_id);
    p->parent_ends[fd] = ends[fd];
  }
  auto child = std::make_shared<SimChild>(*this, p->pid, p->resource_id, std::move(ends));
  p->child = child;
  return child;
}

}  // namespace weft::sim
