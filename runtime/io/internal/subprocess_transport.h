// BaseSubprocessTransport: asyncio's BaseSubprocessTransport written once, over a world's
// ChildProcess (runtime/io/child_process.h). Its pipes are io_internal::StreamTransports over the
// child's pipe sockets; the protocol sees the same callbacks in the same order on either world.
//
//   pipes connected ─► connection_made ─► calls queued before it, in order ─► waiter done
//   pipe data / pipe lost ─► pipe_data_received / pipe_connection_lost (at once, in pipe order)
//   on_exited ─► (own ready entry) process_exited ─► every pipe lost? ─► connection_lost ─►
//                wait() returns
//
// subprocess_exec() is asyncio's loop.subprocess_exec below the free functions of
// runtime/io/subprocess.h: checks, spawn through the loop's ProcessService, the observer's
// process events (on_process_spawned / _io / _exited).
#ifndef WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_TRANSPORT_H_
#define WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_TRANSPORT_H_

#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/io/child_process.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/process_service.h"
#include "runtime/io/subprocess_protocol.h"
#include "runtime/io/subprocess_transport.h"
#include "runtime/task.h"

namespace weft::io_internal {

class BaseSubprocessTransport final
    : public SubprocessTransport,
      public ChildProcess::Events,
      public std::enable_shared_from_this<BaseSubprocessTransport> {
 public:
  // Owns `child` (and takes its pipes). The protocol's callbacks run in the task group current
  // at construction (EventLoop::GroupScope), as StreamTransport's.
  BaseSubprocessTransport(EventLoop& loop, std::shared_ptr<ChildProcess> child,
                          std::shared_ptr<SubprocessProtocol> protocol);
  ~BaseSubprocessTransport() override;

  // Starts the pipe transports; in the ready entry where the last of them has connected (its
  // own, with no pipe), runs connection_made, the calls that arrived before it, then completes
  // `waiter` (asyncio's _connect_pipes). The loop holds the transport until connection_lost (or
  // the loop closes).
  void start(Future<void> waiter);

  // asyncio's _wait(): the returncode at once if the child has exited (its pipes may still be
  // open), else once the transport has finished (connection_lost ran). A cancelled wait changes
  // nothing.
  Task<int> wait();

  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override;
  void send_signal(int sig) override;
  void terminate() override;
  void kill() override;
  void close() override;
  bool is_closing() const override { return closed_; }
  ExtraInfo get_extra_info(std::string_view name) const override;
  uint64_t resource_id() const override { return id_; }

  // From the pipes' protocols (asyncio's *SubprocessPipeProto).
  void pipe_connected();
  void pipe_data_received(int fd, std::string data);
  void pipe_connection_lost(int fd, std::exception_ptr exc);
  void pipe_pause_writing();
  void pipe_resume_writing();

 private:
  void on_exited(int returncode) override;
  void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept override;
  void connected();
  // asyncio's _call: runs `fn` now, or after connection_made when the protocol has not been
  // told yet (the calls keep their order).
  void call(absl::AnyInvocable<void()> fn);
  void run(absl::AnyInvocable<void()>& fn);
  void try_finish();
  void call_connection_lost();

  EventLoop& loop_;
  std::shared_ptr<ChildProcess> child_;
  const int pid_;
  const uint64_t id_;
  const uint16_t group_;
  std::shared_ptr<SubprocessProtocol> protocol_;
  std::shared_ptr<BaseSubprocessTransport> self_;  // from start() until finished
  std::array<std::shared_ptr<StreamTransport>, 3> pipes_;
  std::array<bool, 3> disconnected_{};
  int pipes_to_connect_ = 0;
  std::optional<Future<void>> waiter_;
  std::vector<absl::AnyInvocable<void()>> pending_;
  std::vector<Future<int>> exit_waiters_;
  std::optional<int> returncode_;
  bool connected_ = false;      // connection_made ran (pending_ is replayed)
  bool exit_notified_ = false;  // process_exited was delivered (or queued behind connection_made)
  bool finished_ = false;
  bool closed_ = false;
  bool abandoned_ = false;
};

// loop.subprocess_exec below the free functions: ValueError for an empty argv or STDOUT as
// stdin / stdout; `factory()` first (as asyncio: a throwing factory spawns nothing), then the
// spawn (FileNotFoundError from the world). Returns once connection_made has run. A cancelled
// call kills the child (the world still reaps it).
Task<std::shared_ptr<SubprocessTransport>> subprocess_exec(EventLoop& loop,
                                                           ProcessService& processes,
                                                           SubprocessProtocolFactory factory,
                                                           std::vector<std::string> argv,
                                                           SubprocessOptions options);

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_TRANSPORT_H_
