// Internal to sim/proc: the in-memory pipes between a fake program and its parent. A Pipe is a
// bounded byte queue (a kernel pipe: 64 KiB by default); a PipeSocket is one end of it as the
// simulated world's StreamSocket, under the same asyncio transport as the real world's fds.
// Users never name these types.
//
//   parent write() ─► StreamTransport buffer ─► PipeSocket ─► Pipe (capacity) ─► PipeSocket ─►
//                     StreamTransport ─► the program's stdin StreamReader
//   program write (ProgramOutput) ─────────────► Pipe (capacity) ─► PipeSocket ─►
//                     StreamTransport ─► the subprocess transport ─► protocol
//
// Every readiness runs in a call_soon callback; a read takes a chunk whose size is a choice
// (ChoiceKind::kLatency, 0 = everything buffered), so partial reads vary with the seed.
#ifndef WEFT_SIM_PROC_PIPES_H_
#define WEFT_SIM_PROC_PIPES_H_

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <vector>

#include "runtime/io/stream_socket.h"

namespace weft::sim {
class SimLoop;
}  // namespace weft::sim

namespace weft::sim::proc_internal {

// call_soon unless the loop is closed (objects torn down at loop close must not schedule). The
// ready entry carries `resource` (a process's id).
void call_soon_if_open(SimLoop& loop, std::function<void()> fn, uint64_t resource = 0);

// A one-way bounded byte queue. The ends notify each other synchronously; the notified side
// schedules its own work on the loop.
class Pipe {
 public:
  explicit Pipe(size_t capacity) : capacity_(capacity) {}

  size_t capacity() const { return capacity_; }
  size_t size() const { return buffer_.size() - offset_; }
  size_t space() const { return size() >= capacity_ ? 0 : capacity_ - size(); }
  bool write_closed() const { return write_closed_; }
  bool read_closed() const { return read_closed_; }

  // Writer side. Takes up to space() bytes and returns how many (0 once the read end closed).
  size_t push(std::string_view data);
  // Takes all of `data` regardless of the capacity (a dying program's last words).
  void push_all(std::string_view data);
  // EOF for the reader once the buffered bytes are read. Idempotent.
  void close_write();

  // Reader side. Removes and returns up to `n` bytes.
  std::string take(size_t n);
  // Drops what is buffered; later writes fail (EPIPE). Idempotent.
  void close_read();

  // Called when data arrived or the write end closed / when space freed or the read end closed.
  void set_on_readable(std::function<void()> fn) { on_readable_ = std::move(fn); }
  void set_on_writable(std::function<void()> fn) { on_writable_ = std::move(fn); }

 private:
  void notify(const std::function<void()>& fn) {
    if (fn) {
      auto copy = fn;  // the callee may replace the callback
      copy();
    }
  }

  size_t capacity_;
  std::string buffer_;  // unread bytes are buffer_[offset_, size)
  size_t offset_ = 0;
  bool write_closed_ = false;
  bool read_closed_ = false;
  std::function<void()> on_readable_;
  std::function<void()> on_writable_;
};

// One end of a Pipe as a StreamSocket (runtime/io/stream_socket.h): the read end (kReadPipe:
// the parent's stdout / stderr, the program's stdin) or the write end (kWritePipe: the parent's
// stdin). asyncio's pipe transports above it are the shared io_internal::StreamTransport, with
// its write buffer and water marks. Readiness is level-triggered, one ready entry at a time,
// tagged with the process's id: readable while bytes or EOF wait (a write end: once the reader
// has gone), writable while the pipe has room (or the reader has gone: write says EPIPE).
class PipeSocket final : public StreamSocket, public std::enable_shared_from_this<PipeSocket> {
 public:
  // `resource`: the id of the process the pipe belongs to. Call attach() once made.
  PipeSocket(SimLoop& loop, std::shared_ptr<Pipe> pipe, Kind kind, uint64_t resource);
  static std::shared_ptr<PipeSocket> make(SimLoop& loop, std::shared_ptr<Pipe> pipe, Kind kind,
                                          uint64_t resource);

  Kind kind() const override { return kind_; }
  uint64_t id() const override { return resource_; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override;
  void want_write(bool on) override;
  // A read takes a chunk whose size is a choice (ChoiceKind::kLatency; 0 = everything
  // buffered), so partial reads vary with the seed.
  IoResult read(std::string& into) override;
  IoResult write(std::string_view data) override;
  void shutdown_write() override {}
  void close(bool reset) override;
  SocketAddress local_address() const override { return {}; }
  SocketAddress peer_address() const override { return {}; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }

  // The loop closed: the owner is told (on_abandoned), and no callback follows.
  void vanish(std::vector<std::shared_ptr<void>>& graveyard) noexcept;

 private:
  void attach();
  bool readable() const;
  bool writable() const;
  void schedule_kick();
  void kick();

  SimLoop& loop_;
  std::shared_ptr<Pipe> pipe_;
  Kind kind_;
  uint64_t resource_;
  Events* events_ = nullptr;
  bool want_read_ = false;
  bool want_write_ = false;
  bool kick_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace weft::sim::proc_internal

#endif  // WEFT_SIM_PROC_PIPES_H_
