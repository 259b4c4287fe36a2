// Internal to sim/proc: the in-memory pipes between a fake program and its parent. A Pipe is a
// bounded byte queue (a kernel pipe: 64 KiB by default); PipeReader is a read end as a
// ReadTransport (the parent's stdout/stderr pipe, or the program's stdin); PipeWriteTransport is
// the parent's stdin pipe (asyncio's _UnixWritePipeTransport). Users never name these types.
//
//   parent write() ─► PipeWriteTransport buffer ─► Pipe (capacity) ─► PipeReader ─► StreamReader
//   program write ─────────────────────────────► Pipe (capacity) ─► PipeReader ─► protocol
//
// Every delivery runs in a call_soon callback; a read takes a chunk whose size is a choice
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

#include "runtime/io/read_transport.h"
#include "runtime/io/write_transport.h"

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

// A read end. Delivers chunks to `data`, calls `eof` when the write end closed and the pipe is
// drained, and `lost` on a later iteration after EOF or close() (as FdTransport's read pipe).
class PipeReader final : public ReadTransport, public std::enable_shared_from_this<PipeReader> {
 public:
  struct Sink {
    std::function<void(std::string)> data;
    std::function<void()> eof;
    std::function<void()> lost;
  };

  // `resource`: the id of the process the pipe belongs to, carried by every delivery.
  PipeReader(SimLoop& loop, std::shared_ptr<Pipe> pipe, Sink sink, uint64_t resource);

  // Starts delivering (nothing is delivered before).
  void start();
  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view) const override { return std::monostate{}; }
  void pause_reading() override;
  void resume_reading() override;
  bool is_reading() const override { return started_ && !paused_ && !closing_; }
  uint64_t resource_id() const override { return resource_; }

 private:
  void maybe_schedule();
  void read_ready();
  void call_lost();

  SimLoop& loop_;
  std::shared_ptr<Pipe> pipe_;
  Sink sink_;
  uint64_t resource_;
  bool started_ = false;
  bool closing_ = false;
  bool paused_ = false;
  bool scheduled_ = false;
};

// The parent's end of a child's stdin. write() never blocks: what the pipe does not take is
// buffered; pause_writing / resume_writing follow the water marks (as FdTransport).
class PipeWriteTransport final : public WriteTransport,
                                 public std::enable_shared_from_this<PipeWriteTransport> {
 public:
  struct Sink {
    std::function<void()> pause;
    std::function<void()> resume;
    std::function<void(std::exception_ptr)> lost;
  };

  // `resource`: the id of the child process, carried by every callback.
  PipeWriteTransport(SimLoop& loop, std::shared_ptr<Pipe> pipe, Sink sink, uint64_t resource);

  // Starts watching the read end (a reader that goes away closes this transport).
  void start();
  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view) const override { return std::monostate{}; }
  void write(std::string_view data) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  void abort() override { force_close(nullptr); }
  void set_write_buffer_limits(std::optional<long> high, std::optional<long> low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }
  size_t get_write_buffer_size() const override { return buffer_.size() - offset_; }
  uint64_t resource_id() const override { return resource_; }

 private:
  void maybe_schedule();
  void write_ready();
  void consume(size_t n);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void force_close(std::exception_ptr exc);
  void call_lost(std::exception_ptr exc);

  SimLoop& loop_;
  std::shared_ptr<Pipe> pipe_;
  Sink sink_;
  uint64_t resource_;
  std::string buffer_;
  size_t offset_ = 0;
  size_t high_ = kDefaultHighWater;
  size_t low_ = kDefaultLowWater;
  int conn_lost_ = 0;
  bool started_ = false;
  bool closing_ = false;
  bool eof_ = false;
  bool scheduled_ = false;
  bool lost_called_ = false;
  bool protocol_paused_ = false;
};

}  // namespace weft::sim::proc_internal

#endif  // WEFT_SIM_PROC_PIPES_H_
