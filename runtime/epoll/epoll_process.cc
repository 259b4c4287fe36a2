#include "runtime/epoll/epoll_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/epoll/fd_socket.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/epoll/sockaddr.h"
#include "runtime/errors.h"
#include "runtime/future.h"
#include "runtime/io/os_error.h"
#include "runtime/io/process_lookup_error.h"

extern char** environ;

namespace weft {
namespace {

using epoll_internal::FdGuard;

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int pidfd_send_signal(int pidfd, int sig) {
#ifdef SYS_pidfd_send_signal
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
#else
  (void)pidfd;
  (void)sig;
  errno = ENOSYS;
  return -1;
#endif
}

bool kernel_has_pidfd() {
  const char* mode = std::getenv("WEFT_CHILD_WATCHER");
  if (mode && std::string(mode) == "thread") return false;
  int fd = pidfd_open(::getpid());
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

int decode_status(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return status;
}

class EpollSubprocessTransport;

// Forwards one pipe's events to the subprocess transport (asyncio's *SubprocessPipeProto).
class PipeProtocol final : public Protocol {
 public:
  PipeProtocol(std::weak_ptr<EpollSubprocessTransport> proc, int fd)
      : proc_(std::move(proc)), fd_(fd) {}
  void data_received(std::string data) override;
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override;
  void resume_writing() override;

 private:
  std::weak_ptr<EpollSubprocessTransport> proc_;
  int fd_;
};

class EpollSubprocessTransport final
    : public SubprocessTransport,
      public std::enable_shared_from_this<EpollSubprocessTransport> {
 public:
  EpollSubprocessTransport(EpollLoop& loop, EpollProcessService& service, pid_t pid,
                           std::shared_ptr<SubprocessProtocol> protocol)
      : loop_(loop), service_(service), pid_(pid), id_(loop.next_resource_id()),
        protocol_(std::move(protocol)) {}

  // The process's loop-issued id: its pipes, its exit and the waits on them carry it.
  uint64_t resource_id() const override { return id_; }

  // Wraps the parent's pipe ends (-1: no pipe), schedules connection_made, watches the exit.
  void start(std::array<int, 3> fds, int pidfd, Future<void> waiter) {
    auto self = shared_from_this();
    for (int i = 0; i < 3; ++i) {
      if (fds[i] < 0) continue;
      pipes_[i] = std::make_shared<io_internal::StreamTransport>(
          loop_,
          std::make_shared<FdSocket>(loop_, fds[i],
                                     i == 0 ? StreamSocket::Kind::kWritePipe
                                            : StreamSocket::Kind::kReadPipe,
                                     id_),
          std::make_shared<PipeProtocol>(weak_from_this(), i));
      pipes_[i]->start();
    }
    loop_.call_soon_for(id_, [self] {
      if (!self->protocol_) return;
      self->connected_ = true;
      self->protocol_->connection_made(self);
    });
    waiter.core()->set_resource_id(id_);
    loop_.call_soon_for(id_, [waiter]() mutable {
      if (!waiter.done()) waiter.set_result();
    });
    service_.watch(
        pid_, pidfd, [self](int status) { self->process_exited(decode_status(status)); }, id_);
    std::weak_ptr<EpollSubprocessTransport> weak = self;
    service_.on_close([weak] { return !weak.expired(); },
                      [weak] {
                        if (auto t = weak.lock()) t->abandon();
                      });
  }

  // The loop closed first: no callback will run any more. Drop the protocol unrun (it holds
  // this transport: the cycle would leak) and let the pipes go.
  void abandon() {
    if (!returncode_) returncode_ = -SIGKILL;
    finished_ = true;
    closed_ = true;
    protocol_.reset();
  }

  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override {
    if (fd < 0 || fd > 2) return nullptr;
    return pipes_[fd];
  }
  void send_signal(int sig) override {
    if (finished_) {
      throw ProcessLookupError(ESRCH, absl::StrCat("[Errno 3] No such process: pid ", pid_));
    }
    if (returncode_) return;  // exited, not yet finished: nothing to signal (as Popen)
    service_.signal(pid_, sig);
  }
  void terminate() override { send_signal(SIGTERM); }
  void kill() override { send_signal(SIGKILL); }

  void close() override {
    if (closed_) return;
    closed_ = true;
    for (auto& p : pipes_) {
      if (p) p->close();
    }
    if (!returncode_) service_.signal(pid_, SIGKILL);
  }
  bool is_closing() const override { return closed_; }
  ExtraInfo get_extra_info(std::string_view name) const override {
    if (name == "pid") return static_cast<int>(pid_);
    return std::monostate{};
  }

  void pipe_data_received(int fd, std::string data) {
    if (protocol_ && connected_) protocol_->pipe_data_received(fd, std::move(data));
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) {
    disconnected_[fd] = true;
    if (protocol_ && connected_) protocol_->pipe_connection_lost(fd, std::move(exc));
    try_finish();
  }
  SubprocessProtocol* protocol() const { return protocol_.get(); }

 private:
  void process_exited(int returncode) {
    returncode_ = returncode;
    loop_.call_soon_for(id_, [self = shared_from_this()] {
      if (self->protocol_ && self->connected_) self->protocol_->process_exited();
      self->try_finish();
    });
  }

  void try_finish() {
    if (finished_ || !returncode_) return;
    for (int i = 0; i < 3; ++i) {
      if (pipes_[i] && !disconnected_[i]) return;
    }
    finished_ = true;
    loop_.call_soon_for(id_, [self = shared_from_this()] {
      auto protocol = std::move(self->protocol_);
      self->protocol_ = nullptr;
      if (protocol && self->connected_) protocol->connection_lost(nullptr);
    });
  }

  EpollLoop& loop_;
  EpollProcessService& service_;
  pid_t pid_;
  uint64_t id_;
  std::shared_ptr<SubprocessProtocol> protocol_;
  std::array<std::shared_ptr<io_internal::StreamTransport>, 3> pipes_;
  std::array<bool, 3> disconnected_{};
  std::optional<int> returncode_;
  bool connected_ = false;
  bool finished_ = false;
  bool closed_ = false;
};

void PipeProtocol::data_received(std::string data) {
  if (auto p = proc_.lock()) p->pipe_data_received(fd_, std::move(data));
}
void PipeProtocol::connection_lost(std::exception_ptr exc) {
  if (auto p = proc_.lock()) p->pipe_connection_lost(fd_, std::move(exc));
}
void PipeProtocol::pause_writing() {
  if (auto p = proc_.lock()) {
    if (p->protocol()) p->protocol()->pause_writing();
  }
}
void PipeProtocol::resume_writing() {
  if (auto p = proc_.lock()) {
    if (p->protocol()) p->protocol()->resume_writing();
  }
}

// posix_spawn's file actions and attributes, released on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

EpollProcessService::EpollProcessService(EpollLoop& loop)
    : loop_(loop), use_pidfd_(kernel_has_pidfd()) {}

EpollProcessService::~EpollProcessService() { close(); }

void EpollProcessService::watch(pid_t pid, int pidfd, absl::AnyInvocable<void(int)> on_exit,
                                uint64_t resource) {
  Child& child = children_[pid];
  child.on_exit = std::move(on_exit);
  if (pidfd >= 0) {
    child.pidfd = pidfd;
    loop_.add_reader(pidfd, [this, pid] {
      int status = 0;
      pid_t r;
      do {
        r = ::waitpid(pid, &status, WNOHANG);
      } while (r < 0 && errno == EINTR);
      if (r == 0) return;  // spurious
      exited(pid, r == pid ? status : 0);
    }, resource);
    return;
  }
  child.reaper = std::thread([this, pid] {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    loop_.call_soon_threadsafe([this, pid, status] { exited(pid, status); });
  });
}

void EpollProcessService::exited(pid_t pid, int status) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  Child child = std::move(it->second);
  children_.erase(it);
  if (child.pidfd >= 0) {
    loop_.remove_reader(child.pidfd);
    ::close(child.pidfd);
  }
  if (child.reaper.joinable()) child.reaper.join();  // it has posted its last message
  if (child.on_exit) child.on_exit(status);
}

bool EpollProcessService::signal(pid_t pid, int sig) {
  auto it = children_.find(pid);
  if (it == children_.end()) return false;  // reaped: the pid may belong to someone else now
  if (it->second.pidfd >= 0) return pidfd_send_signal(it->second.pidfd, sig) == 0;
  return ::kill(pid, sig) == 0;
}

void EpollProcessService::on_close(absl::AnyInvocable<bool()> alive,
                                   absl::AnyInvocable<void()> abandon) {
  std::erase_if(abandoners_, [](Abandoner& a) { return !a.alive(); });
  abandoners_.push_back({std::move(alive), std::move(abandon)});
}

void EpollProcessService::close() {
  for (auto& [pid, child] : children_) {
    if (child.pidfd >= 0) {
      pidfd_send_signal(child.pidfd, SIGKILL);
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      loop_.remove_reader(child.pidfd);
      ::close(child.pidfd);
    } else {
      ::kill(pid, SIGKILL);
    }
    if (child.reaper.joinable()) child.reaper.join();
  }
  children_.clear();
  std::vector<Abandoner> abandoners = std::move(abandoners_);
  abandoners_.clear();
  for (auto& a : abandoners) a.abandon();
}

Task<std::shared_ptr<SubprocessTransport>> EpollProcessService::subprocess_exec(
    SubprocessProtocolFactory factory, std::vector<std::string> argv, SubprocessOptions options) {
  if (argv.empty()) throw ValueError("subprocess_exec: empty argv");
  if (options.stdin_mode == Stdio::kStdout || options.stdout_mode == Stdio::kStdout) {
    throw ValueError("STDOUT can only be used for stderr");
  }
  SpawnSetup setup;
  std::array<FdGuard, 3> parent_ends;
  std::vector<FdGuard> child_ends;
  FdGuard devnull;
  const std::array<Stdio, 3> modes = {options.stdin_mode, options.stdout_mode,
                                      options.stderr_mode};
  for (int i = 0; i < 3; ++i) {
    if (modes[i] == Stdio::kPipe) {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) < 0) throw_os_error(errno, "pipe2");
      FdGuard read_end(p[0]), write_end(p[1]);
      FdGuard& child = i == 0 ? read_end : write_end;
      FdGuard& parent = i == 0 ? write_end : read_end;
      posix_spawn_file_actions_adddup2(&setup.actions, child.get(), i);
      set_nonblocking(parent.get());
      parent_ends[i] = std::move(parent);
      child_ends.push_back(std::move(child));
    } else if (modes[i] == Stdio::kDevNull) {
      if (devnull.get() < 0) {
        devnull = FdGuard(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (devnull.get() < 0) throw_os_error(errno, "'/dev/null'");
      }
      posix_spawn_file_actions_adddup2(&setup.actions, devnull.get(), i);
    } else if (modes[i] == Stdio::kStdout) {
      posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
    }
  }
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd->c_str());
  // The child starts with no blocked signals and default dispositions for the ones a parent
  // commonly changes (asyncio's restore_signals).
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (options.env) {
    for (auto& e : *options.env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &setup.actions, &setup.attr, args.data(),
                          options.env ? envp.data() : environ);
  if (rc != 0) throw_os_error(rc, absl::StrCat("'", argv[0], "'"));
  child_ends.clear();
  devnull = FdGuard();

  int pidfd = use_pidfd_ ? pidfd_open(pid) : -1;
  std::shared_ptr<SubprocessProtocol> protocol = factory();
  auto transport = std::make_shared<EpollSubprocessTransport>(loop_, *this, pid, std::move(protocol));
  std::array<int, 3> fds;
  for (int i = 0; i < 3; ++i) fds[i] = parent_ends[i].release();
  Future<void> waiter(loop_);
  transport->start(fds, pidfd, waiter);
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    transport->close();  // kills the child; the watcher still reaps it
    throw;
  }
  co_return transport;
}

}  // namespace weft
