#include "runtime/io/internal/subprocess_transport.h"

#include <errno.h>
#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/process_lookup_error.h"

namespace weft::io_internal {
namespace {

// Forwards one pipe's events to the subprocess transport (asyncio's ReadSubprocessPipeProto and
// WriteSubprocessPipeProto).
class PipeProtocol final : public Protocol {
 public:
  PipeProtocol(std::weak_ptr<BaseSubprocessTransport> proc, int fd)
      : proc_(std::move(proc)), fd_(fd) {}
  void connection_made(std::shared_ptr<Transport>) override {
    if (auto p = proc_.lock()) p->pipe_connected();
  }
  void data_received(std::string data) override {
    if (auto p = proc_.lock()) p->pipe_data_received(fd_, std::move(data));
  }
  void connection_lost(std::exception_ptr exc) override {
    if (auto p = proc_.lock()) p->pipe_connection_lost(fd_, std::move(exc));
  }
  void pause_writing() override {
    if (auto p = proc_.lock()) p->pipe_pause_writing();
  }
  void resume_writing() override {
    if (auto p = proc_.lock()) p->pipe_resume_writing();
  }

 private:
  std::weak_ptr<BaseSubprocessTransport> proc_;
  int fd_;
};

// The child's pipe as the transport sees it: the world's socket, with every read from stdout /
// stderr and every write to stdin reported to the loop's observers (on_process_io), as the
// socket returned them — so a recorder sees the world's chunking.
class ObservedPipe final : public StreamSocket {
 public:
  ObservedPipe(EventLoop& loop, std::shared_ptr<StreamSocket> inner, uint64_t process, int fd)
      : loop_(loop), inner_(std::move(inner)), process_(process), fd_(fd) {}

  Kind kind() const override { return inner_->kind(); }
  uint64_t id() const override { return inner_->id(); }
  void set_events(Events* events) override { inner_->set_events(events); }
  void want_read(bool on) override { inner_->want_read(on); }
  void want_write(bool on) override { inner_->want_write(on); }
  IoResult read(std::string& into) override {
    const IoResult r = inner_->read(into);
    if (r.err == 0 && r.bytes > 0) {
      if (LoopObserver* o = loop_.observer()) {
        o->on_process_io(process_, fd_, IoDirection::kIn, std::string_view(into).substr(0, r.bytes));
      }
    }
    return r;
  }
  IoResult write(std::string_view data) override {
    const IoResult r = inner_->write(data);
    if (r.err == 0 && r.bytes > 0) {
      if (LoopObserver* o = loop_.observer()) {
        o->on_process_io(process_, fd_, IoDirection::kOut, data.substr(0, r.bytes));
      }
    }
    return r;
  }
  void shutdown_write() override { inner_->shutdown_write(); }
  void close(bool reset) override { inner_->close(reset); }
  SocketAddress local_address() const override { return inner_->local_address(); }
  SocketAddress peer_address() const override { return inner_->peer_address(); }
  ExtraInfo extra_info(std::string_view name) const override { return inner_->extra_info(name); }

 private:
  EventLoop& loop_;
  std::shared_ptr<StreamSocket> inner_;
  uint64_t process_;
  int fd_;
};

}  // namespace

BaseSubprocessTransport::BaseSubprocessTransport(EventLoop& loop,
                                                 std::shared_ptr<ChildProcess> child,
                                                 std::shared_ptr<SubprocessProtocol> protocol)
    : loop_(loop),
      child_(std::move(child)),
      pid_(child_->pid()),
      id_(child_->id()),
      group_(loop.current_group()),
      protocol_(std::move(protocol)) {}

BaseSubprocessTransport::~BaseSubprocessTransport() {
  // Reached once finished (or abandoned, or never started): the child tells nobody any more. A
  // child still running is the world's to reap.
  child_->set_events(nullptr);
}

void BaseSubprocessTransport::start(Future<void> waiter) {
  self_ = shared_from_this();
  waiter.core()->set_resource_id(id_);
  waiter_ = std::move(waiter);
  for (int fd = 0; fd < 3; ++fd) {
    std::shared_ptr<StreamSocket> socket = child_->pipe(fd);
    if (!socket) continue;
    ++pipes_to_connect_;
    auto observed = std::make_shared<ObservedPipe>(loop_, std::move(socket), id_, fd);
    pipes_[fd] = std::make_shared<StreamTransport>(
        loop_, std::move(observed), std::make_shared<PipeProtocol>(weak_from_this(), fd));
  }
  child_->set_events(this);
  // Each pipe transport schedules its own connection_made; the last one to run connects us
  // (asyncio awaits each pipe before it calls connection_made).
  for (auto& pipe : pipes_) {
    if (pipe) pipe->start(std::nullopt);
  }
  if (pipes_to_connect_ == 0) {
    loop_.call_soon_for(id_, [self = self_] { self->connected(); });
  }
}

void BaseSubprocessTransport::pipe_connected() {
  if (abandoned_ || connected_ || --pipes_to_connect_ > 0) return;
  connected();
}

void BaseSubprocessTransport::connected() {
  if (abandoned_ || connected_) return;
  connected_ = true;
  EventLoop::GroupScope group(loop_, group_);
  if (protocol_) {
    try {
      protocol_->connection_made(shared_from_this());
    } catch (...) {
      loop_.call_exception_handler(
          {"Exception in callback protocol.connection_made()", std::current_exception(), {}});
    }
  }
  // In one ready entry with connection_made, so no strategy runs a pipe's data (or the exit)
  // ahead of it, or wakes the spawner before it.
  std::vector<absl::AnyInvocable<void()>> pending = std::move(pending_);
  pending_.clear();
  for (auto& fn : pending) run(fn);
  if (waiter_ && !waiter_->done()) waiter_->set_result();
  waiter_.reset();
  try_finish();
}

void BaseSubprocessTransport::call(absl::AnyInvocable<void()> fn) {
  if (!connected_) {
    pending_.push_back(std::move(fn));
    return;
  }
  run(fn);
}

void BaseSubprocessTransport::run(absl::AnyInvocable<void()>& fn) {
  // asyncio runs each of these as a callback of its own: what one raises is reported, and the
  // pipe it came from, the others and the spawner go on.
  EventLoop::GroupScope group(loop_, group_);
  try {
    fn();
  } catch (...) {
    loop_.call_exception_handler(
        {"Exception in a SubprocessProtocol callback", std::current_exception(), {}});
  }
}

std::shared_ptr<BaseTransport> BaseSubprocessTransport::get_pipe_transport(int fd) const {
  if (fd < 0 || fd > 2) return nullptr;
  return pipes_[fd];
}

void BaseSubprocessTransport::send_signal(int sig) {
  // asyncio's _check_proc: the transport has finished (the child is reaped and its pid may be
  // someone else's now).
  if (finished_ || abandoned_) {
    throw ProcessLookupError(ESRCH, absl::StrCat("[Errno 3] No such process: pid ", pid_));
  }
  if (returncode_) return;  // exited, not yet finished: nothing to signal (as Popen)
  // Popen.send_signal ignores a child that has just gone (ESRCH), and EINVAL is the caller's
  // bad number, which kill(2) ignores the same way here.
  (void)child_->send_signal(sig);
}

void BaseSubprocessTransport::terminate() { send_signal(SIGTERM); }
void BaseSubprocessTransport::kill() { send_signal(SIGKILL); }

void BaseSubprocessTransport::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& pipe : pipes_) {
    if (pipe) pipe->close();
  }
  if (!returncode_ && !abandoned_) (void)child_->send_signal(SIGKILL);
}

ExtraInfo BaseSubprocessTransport::get_extra_info(std::string_view name) const {
  if (name == "pid") return pid_;
  return std::monostate{};
}

void BaseSubprocessTransport::pipe_data_received(int fd, std::string data) {
  call([self = shared_from_this(), fd, data = std::move(data)]() mutable {
    if (self->protocol_) self->protocol_->pipe_data_received(fd, std::move(data));
  });
}

void BaseSubprocessTransport::pipe_connection_lost(int fd, std::exception_ptr exc) {
  disconnected_[fd] = true;
  call([self = shared_from_this(), fd, exc = std::move(exc)]() mutable {
    if (self->protocol_) self->protocol_->pipe_connection_lost(fd, std::move(exc));
  });
  try_finish();
}

void BaseSubprocessTransport::pipe_pause_writing() {
  if (protocol_ && connected_) protocol_->pause_writing();
}

void BaseSubprocessTransport::pipe_resume_writing() {
  if (protocol_ && connected_) protocol_->resume_writing();
}

void BaseSubprocessTransport::on_exited(int returncode) {
  if (returncode_ || abandoned_) return;
  returncode_ = returncode;
  if (LoopObserver* o = loop_.observer()) o->on_process_exited(id_, returncode);
  // On a ready entry of its own, as asyncio's call_soon(protocol.process_exited): the world may
  // report the exit from inside a kill.
  loop_.call_soon_for(id_, [self = shared_from_this()] {
    if (self->abandoned_) return;
    self->exit_notified_ = true;
    self->call([self] {
      if (self->protocol_) self->protocol_->process_exited();
    });
    self->try_finish();
  });
}

void BaseSubprocessTransport::try_finish() {
  // process_exited reaches the protocol before connection_lost under any schedule: both wait
  // for connection_made, and connection_lost for the exit's own ready entry.
  if (finished_ || abandoned_ || !connected_ || !exit_notified_) return;
  for (int fd = 0; fd < 3; ++fd) {
    if (pipes_[fd] && !disconnected_[fd]) return;
  }
  finished_ = true;
  loop_.call_soon_for(id_, [self = shared_from_this()] { self->call_connection_lost(); });
}

void BaseSubprocessTransport::call_connection_lost() {
  if (abandoned_) return;
  auto self = std::move(self_);  // destroyed last
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  struct WakeWaiters {
    BaseSubprocessTransport* t;
    ~WakeWaiters() {
      // asyncio wakes wait() in a finally: also when connection_lost raised.
      std::vector<Future<int>> waiters = std::move(t->exit_waiters_);
      t->exit_waiters_.clear();
      for (auto& w : waiters) {
        if (!w.done()) w.set_result(t->returncode_.value_or(0));
      }
    }
  } wake{this};
  EventLoop::GroupScope group(loop_, group_);
  if (protocol) protocol->connection_lost(nullptr);
}

void BaseSubprocessTransport::on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  // The loop closed: no callback runs any more. The protocol may hold the last reference to
  // us: both go to the graveyard, unrun. The pipes are abandoned by their sockets.
  abandoned_ = true;
  closed_ = true;
  if (auto self = weak_from_this().lock()) graveyard.push_back(std::move(self));
  if (self_) graveyard.push_back(std::move(self_));
  self_ = nullptr;
  if (protocol_) graveyard.push_back(std::move(protocol_));
  protocol_ = nullptr;
  pending_.clear();
  waiter_.reset();
  for (auto& w : exit_waiters_) graveyard.push_back(std::make_shared<Future<int>>(std::move(w)));
  exit_waiters_.clear();
}

Task<int> BaseSubprocessTransport::wait() {
  if (returncode_) co_return *returncode_;
  if (finished_ || abandoned_) co_return returncode_.value_or(0);
  Future<int> waiter(loop_);
  waiter.core()->set_resource_id(id_);
  exit_waiters_.push_back(waiter);
  co_return co_await waiter;
}

Task<std::shared_ptr<SubprocessTransport>> subprocess_exec(EventLoop& loop,
                                                           ProcessService& processes,
                                                           SubprocessProtocolFactory factory,
                                                           std::vector<std::string> argv,
                                                           SubprocessOptions options) {
  if (argv.empty()) throw ValueError("subprocess_exec: empty argv");
  if (options.stdin_mode == Stdio::kStdout || options.stdout_mode == Stdio::kStdout) {
    throw ValueError("STDOUT can only be used for stderr");
  }
  std::shared_ptr<SubprocessProtocol> protocol = factory();
  std::shared_ptr<ChildProcess> child = processes.spawn(argv, options);
  if (!child) throw RuntimeError("ProcessService::spawn returned null");
  if (LoopObserver* o = loop.observer()) o->on_process_spawned(child->id(), argv);
  auto transport = std::make_shared<BaseSubprocessTransport>(loop, std::move(child),
                                                             std::move(protocol));
  Future<void> waiter(loop);
  transport->start(waiter);
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    transport->close();  // kills the child; the world still reaps it
    throw;
  }
  co_return transport;
}

}  // namespace weft::io_internal
