// FdTransport: the epoll world's stream transport over one non-blocking fd — a connected TCP
// socket, or one end of a child's pipe (asyncio's _SelectorSocketTransport and
// _UnixRead/WritePipeTransport in one class). Level-triggered reads and writes through EpollLoop.
//
//   read_ready ─► data_received ... ─► EOF: eof_received() ─ true: keep writing / false: close
//   write() ─► send at once ─► rest buffered, add_writer ─► write_ready ─► pause/resume_writing
//   close() ─► flush ─► connection_lost(null) on a later iteration ─► fd closed, protocol dropped
#ifndef WEFT_RUNTIME_EPOLL_FD_TRANSPORT_H_
#define WEFT_RUNTIME_EPOLL_FD_TRANSPORT_H_

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/future.h"
#include "runtime/io/protocol.h"
#include "runtime/io/transport.h"

namespace weft {

class FdTransport final : public Transport,
                          public EpollLoop::Resource,
                          public std::enable_shared_from_this<FdTransport> {
 public:
  enum class Kind { kSocket, kReadPipe, kWritePipe };

  // Takes ownership of `fd` (already non-blocking). `on_lost` runs after connection_lost (a
  // server uses it to count its connections). `resource`: the resource id the transport stands
  // for (a child's pipe: the process's); 0: its own (EpollLoop::Resource::id).
  FdTransport(EpollLoop& loop, int fd, Kind kind, std::shared_ptr<Protocol> protocol,
              std::function<void()> on_lost = {}, uint64_t resource = 0);
  ~FdTransport() override;

  // Schedules connection_made, then starts reading, then completes `waiter` (if any) — each on
  // the loop, in that order, as asyncio's transport constructors.
  void start(std::optional<Future<void>> waiter = std::nullopt);

  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view name) const override;

  void pause_reading() override;
  void resume_reading() override;
  bool is_reading() const override { return !paused_ && !closing_; }

  void write(std::string_view data) override;
  void write_eof() override;
  bool can_write_eof() const override { return kind_ != Kind::kReadPipe; }
  void abort() override { force_close(nullptr); }
  void set_write_buffer_limits(std::optional<long> high, std::optional<long> low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }
  size_t get_write_buffer_size() const override { return buffer_.size() - offset_; }
  // What every callback this transport schedules carries (never the fd).
  uint64_t resource_id() const override { return resource_; }

 private:
  // The loop closed: close the fd, drop the protocol uncalled (see EpollLoop::Resource).
  void abandon() noexcept override;
  void start_reading();
  void read_ready();
  void write_ready();
  void on_eof();
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void force_close(std::exception_ptr exc);
  void fatal_error(std::exception_ptr exc, const char* message);
  void call_connection_lost(std::exception_ptr exc);
  ssize_t raw_write(const char* data, size_t n);
  void consume(size_t n);

  EpollLoop& loop_;
  int fd_;
  uint64_t resource_;
  Kind kind_;
  std::shared_ptr<Protocol> protocol_;
  std::function<void()> on_lost_;
  SocketAddress peer_;
  SocketAddress sock_;
  std::string buffer_;  // unsent bytes are buffer_[offset_, size)
  size_t offset_ = 0;
  size_t high_ = kDefaultHighWater;
  size_t low_ = kDefaultLowWater;
  int conn_lost_ = 0;
  bool closing_ = false;
  bool eof_ = false;  // write_eof() called
  bool paused_ = false;
  bool reading_registered_ = false;
  bool writer_registered_ = false;
  bool protocol_connected_ = false;
  bool protocol_paused_ = false;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_FD_TRANSPORT_H_
