// EpollProcessService: the real world's ProcessService — posix_spawn with pipes (the parent's
// ends as FdSockets), each child's exit watched through a pidfd on the loop (Linux >= 5.3), or,
// where pidfd_open is missing (or WEFT_CHILD_WATCHER=thread), by a reaper thread blocked in
// waitpid (asyncio's ThreadedChildWatcher; no process-wide SIGCHLD handler, so several loops can
// coexist). The asyncio transport above its children is runtime/io's, shared with the
// simulated world.
#ifndef WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_
#define WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/io/process_service.h"

namespace weft {

namespace epoll_internal {
class EpollChild;
}  // namespace epoll_internal

class EpollProcessService final : public ProcessService {
 public:
  explicit EpollProcessService(EpollLoop& loop);
  ~EpollProcessService() override;

  std::shared_ptr<ChildProcess> spawn(std::vector<std::string> argv,
                                      const SubprocessOptions& options) override;

  // The loop is closing: kills every child still running and reaps it (blocking), so no zombie
  // outlives the loop; then abandons every child object still held (ChildProcess::Events::
  // on_abandoned). No exit is reported any more.
  void close();
  // Sends `sig` to a child not yet reaped (through its pidfd when there is one): 0 or an errno
  // (ESRCH once reaped: the pid may belong to someone else now).
  int signal(pid_t pid, int sig);
  bool uses_pidfd() const { return use_pidfd_; }

 private:
  struct Child {
    int pidfd = -1;
    std::thread reaper;
    std::weak_ptr<epoll_internal::EpollChild> object;  // expired once its owner let go
  };
  // Watches `pid`'s exit; `resource`: the process's id, carried by the pidfd's readiness (the
  // reaper thread's hand-over, through call_soon_threadsafe, carries 0).
  void watch(pid_t pid, int pidfd, uint64_t resource);
  void exited(pid_t pid, int status);

  EpollLoop& loop_;
  bool use_pidfd_;
  std::map<pid_t, Child> children_;  // not yet reaped
  // Every child object handed out and still alive (reaped or not): abandoned at close().
  std::vector<std::weak_ptr<epoll_internal::EpollChild>> handed_out_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_EPOLL_PROCESS_H_
