// weft::ChildProcess: one child process as a world provides it, below asyncio (DESIGN.md §3): its
// pid, the parent's ends of its pipes as StreamSockets, signals, and its exit status. Nothing
// else: asyncio's subprocess transport above it — the pipe transports, the protocol callbacks and
// their order, wait(), ProcessLookupError, close() killing a running child — is written once, in
// runtime/io (io_internal::BaseSubprocessTransport), and runs unchanged over posix_spawn's
// children and the simulated world's fake programs. A recorder decorates a ChildProcess (and its
// pipes) to see what crosses; a replayer stands in for one with recorded output and exit code.
//
//   ProcessService::spawn ─► ChildProcess ─ pipe(0): kWritePipe  ◄─ stdin writes
//                                         ─ pipe(1), pipe(2): kReadPipe ─► stdout / stderr
//                                         ─ on_exited(returncode) ─► process_exited
//
// Loop thread only.
#ifndef WEFT_RUNTIME_IO_CHILD_PROCESS_H_
#define WEFT_RUNTIME_IO_CHILD_PROCESS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/io/stream_socket.h"

namespace weft {

class ChildProcess {
 public:
  // What the child tells its owner (the subprocess transport), on the loop thread.
  class Events {
   public:
    // The child ended and was reaped (no zombie remains): `returncode` is its exit status, or
    // -N when signal N ended it (asyncio's returncode). Once, from a ready entry of its own
    // (tagged with id() where the world can; the owner must not rely on it being outside its
    // own calls into the child, e.g. a send_signal(SIGKILL)).
    virtual void on_exited(int returncode) = 0;
    // The loop closed: the child was killed and reaped, no on_exited follows. As
    // StreamSocket::Events::on_abandoned: the owner moves whatever may run user destructors
    // into `graveyard` and calls no user code. The pipes are abandoned on their own.
    virtual void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept = 0;

   protected:
    ~Events() = default;
  };

  virtual ~ChildProcess() = default;

  virtual int pid() const = 0;
  // The loop-issued resource id of the process (DESIGN.md §5): its pipes' readiness and its exit
  // carry it. Never the pid.
  virtual uint64_t id() const = 0;
  // The parent's end of the child's stdin (fd 0, Kind::kWritePipe), stdout (1) or stderr (2,
  // Kind::kReadPipe); null where that stream is no PIPE (stderr=STDOUT: its output arrives on
  // pipe 1). Each socket carries id() as its own id. The owner takes them over: the child keeps
  // no use of them.
  virtual std::shared_ptr<StreamSocket> pipe(int fd) const = 0;

  // The owner to tell; null stops every callback. Set once, right after the spawn and before the
  // loop runs on (no world can see an exit sooner).
  virtual void set_events(Events* events) = 0;
  // Sends `sig` (kill(2)): 0, or the errno — ESRCH once the child has been reaped (its pid may
  // belong to someone else by then: the world never signals it), EINVAL for a bad number.
  virtual int send_signal(int sig) = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_CHILD_PROCESS_H_
