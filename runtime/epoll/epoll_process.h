// EpollProcessService: the real world's ProcessService — posix_spawn with pipes, each child's
// exit watched through a pidfd on the loop (Linux >= 5.3), or, where pidfd_open is missing (or
// WEFT_CHILD_WATCHER=thread), by a reaper thread blocked in waitpid (asyncio's
// ThreadedChildWatcher; no process-wide SIGCHLD handler, so several loops can coexist).
#ifndef WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_
#define WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "runtime/epoll/epoll_loop.h"
#include "runtime/io/process_service.h"

namespace weft {

class EpollProcessService final : public ProcessService {
 public:
  explicit EpollProcessService(EpollLoop& loop);
  ~EpollProcessService() override;

  Task<std::shared_ptr<SubprocessTransport>> subprocess_exec(SubprocessProtocolFactory factory,
                                                             std::vector<std::string> argv,
                                                             SubprocessOptions options) override;

  // The loop is closing: kills every child still running and reaps it (blocking), so no zombie
  // outlives the loop. Exit callbacks are dropped unrun.
  void close();
  // Calls `on_exit(wait status)` on the loop once `pid` has exited and been reaped.
  // `resource`: the process's id, carried by the pidfd's readiness (the reaper thread's
  // hand-over, through call_soon_threadsafe, carries 0).
  void watch(pid_t pid, int pidfd, absl::AnyInvocable<void(int)> on_exit, uint64_t resource = 0);
  // Registers what to run if the loop closes while a child's transport is still alive:
  // `abandon` drops the transport's protocol unrun, breaking the transport <-> protocol cycle.
  // `alive` says whether the transport still exists (expired entries are pruned).
  void on_close(absl::AnyInvocable<bool()> alive, absl::AnyInvocable<void()> abandon);
  // Sends `sig` to a child not yet reaped (through its pidfd when there is one).
  bool signal(pid_t pid, int sig);
  bool uses_pidfd() const { return use_pidfd_; }

 private:
  struct Child {
    int pidfd = -1;
    std::thread reaper;
    absl::AnyInvocable<void(int)> on_exit;
  };
  void exited(pid_t pid, int status);

  struct Abandoner {
    absl::AnyInvocable<bool()> alive;
    absl::AnyInvocable<void()> abandon;
  };

  EpollLoop& loop_;
  bool use_pidfd_;
  std::vector<Abandoner> abandoners_;
  std::map<pid_t, Child> children_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_
