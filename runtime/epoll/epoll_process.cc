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
#include "runtime/epoll/sockaddr.h"
#include "runtime/errors.h"
#include "runtime/io/os_error.h"

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

namespace epoll_internal {

// A child of posix_spawn as a ChildProcess: the parent's pipe ends (FdSockets carrying the
// process's id) and the exit the service reaps.
class EpollChild final : public ChildProcess, public std::enable_shared_from_this<EpollChild> {
 public:
  EpollChild(EpollProcessService& service, pid_t pid, uint64_t id,
             std::array<std::shared_ptr<StreamSocket>, 3> pipes)
      : service_(service), pid_(pid), id_(id), pipes_(std::move(pipes)) {}

  int pid() const override { return pid_; }
  uint64_t id() const override { return id_; }
  std::shared_ptr<StreamSocket> pipe(int fd) const override {
    return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;
  }
  void set_events(Events* events) override { events_ = events; }
  int send_signal(int sig) override {
    if (gone_) return ESRCH;
    return service_.signal(pid_, sig);
  }

  // Reaped (the service's pidfd or reaper thread, on the loop thread).
  void exited(int returncode) {
    gone_ = true;
    if (events_) events_->on_exited(returncode);
  }
  // The loop closed: the child is killed and reaped.
  void abandon(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
    gone_ = true;
    if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
  }

 private:
  EpollProcessService& service_;
  pid_t pid_;
  uint64_t id_;
  std::array<std::shared_ptr<StreamSocket>, 3> pipes_;
  Events* events_ = nullptr;
  bool gone_ = false;
};

}  // namespace epoll_internal

EpollProcessService::EpollProcessService(EpollLoop& loop)
    : loop_(loop), use_pidfd_(kernel_has_pidfd()) {}

EpollProcessService::~EpollProcessService() { close(); }

void EpollProcessService::watch(pid_t pid, int pidfd, uint64_t resource) {
  Child& child = children_[pid];
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
  if (auto object = child.object.lock()) object->exited(decode_status(status));
}

int EpollProcessService::signal(pid_t pid, int sig) {
  auto it = children_.find(pid);
  if (it == children_.end()) return ESRCH;  // reaped: the pid may belong to someone else now
  const int rc = it->second.pidfd >= 0 ? pidfd_send_signal(it->second.pidfd, sig)
                                       : ::kill(pid, sig);
  return rc == 0 ? 0 : errno;
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
  // Then the objects user code may still hold. What their owners let go of is destroyed after
  // our own state is consistent (the graveyard goes last).
  std::vector<std::shared_ptr<void>> graveyard;
  std::vector<std::weak_ptr<epoll_internal::EpollChild>> handed_out = std::move(handed_out_);
  handed_out_.clear();
  for (auto& weak : handed_out) {
    if (auto object = weak.lock()) object->abandon(graveyard);
  }
}

std::shared_ptr<ChildProcess> EpollProcessService::spawn(std::vector<std::string> argv,
                                                         const SubprocessOptions& options) {
  if (argv.empty()) throw ValueError("spawn: empty argv");
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
  std::vector<std::string> env_copy;
  std::vector<char*> envp;
  if (options.env) {
    env_copy = *options.env;
    for (auto& e : env_copy) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &setup.actions, &setup.attr, args.data(),
                          options.env ? envp.data() : environ);
  if (rc != 0) throw_os_error(rc, absl::StrCat("'", argv[0], "'"));
  child_ends.clear();
  devnull = FdGuard();

  const uint64_t id = loop_.next_resource_id();
  std::array<std::shared_ptr<StreamSocket>, 3> pipes;
  for (int i = 0; i < 3; ++i) {
    if (parent_ends[i].get() < 0) continue;
    pipes[i] = std::make_shared<FdSocket>(
        loop_, parent_ends[i].release(),
        i == 0 ? StreamSocket::Kind::kWritePipe : StreamSocket::Kind::kReadPipe, id);
  }
  auto object = std::make_shared<epoll_internal::EpollChild>(*this, pid, id, std::move(pipes));
  std::erase_if(handed_out_, [](const auto& w) { return w.expired(); });
  handed_out_.push_back(object);
  watch(pid, use_pidfd_ ? pidfd_open(pid) : -1, id);
  children_[pid].object = object;
  return object;
}

}  // namespace weft
