// StreamTransport: asyncio's stream transport (_SelectorSocketTransport and the Unix pipe
// transports) written once, over a world's StreamSocket (runtime/io/stream_socket.h). Both
// worlds hand their connections and pipes to it; the protocol sees the same callbacks in the same
// order on either.
//
//   on_readable ─► read() ─► data_received ... ─► EOF: eof_received() ─ true: keep writing /
//                                                                        false: close
//   write() ─► socket write at once ─► rest buffered, want_write ─► on_writable ─► flush
//              (pause_writing above the high water mark, resume_writing at the low one)
//   close() ─► flush ─► connection_lost(null) on a later iteration ─► socket closed, protocol
//              dropped
#ifndef WEFT_RUNTIME_IO_INTERNAL_STREAM_TRANSPORT_H_
#define WEFT_RUNTIME_IO_INTERNAL_STREAM_TRANSPORT_H_

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/io/protocol.h"
#include "runtime/io/stream_socket.h"
#include "runtime/io/transport.h"
#include "runtime/observer.h"

namespace weft::io_internal {

class StreamTransport final : public Transport,
                              public StreamSocket::Events,
                              public std::enable_shared_from_this<StreamTransport> {
 public:
  // Owns `socket`. `on_lost` runs after connection_lost (a server counts its connections). The
  // protocol's callbacks run in the task group current at construction (EventLoop::GroupScope):
  // tasks they create belong to the node that made the connection.
  StreamTransport(EventLoop& loop, std::shared_ptr<StreamSocket> socket,
                  std::shared_ptr<Protocol> protocol, std::function<void()> on_lost = {});
  ~StreamTransport() override;

  // Schedules connection_made, then starts reading, then completes `waiter` (if any) — each on
  // the loop, in that order, as asyncio's transport constructors. A connection lost before that
  // entry ran (close, abort, a failed write) reaches the protocol right after connection_made,
  // under any schedule: never connection_lost without connection_made, never neither.
  void start(std::optional<Future<void>> waiter = std::nullopt);

  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view name) const override;

  void pause_reading() override;
  void resume_reading() override;
  bool is_reading() const override { return !paused_ && !closing_; }

  void write(std::string_view data) override;
  void write_eof() override;
  bool can_write_eof() const override { return kind_ != StreamSocket::Kind::kReadPipe; }
  void abort() override { force_close(nullptr); }
  // SO_LINGER 0: drops what is buffered; the protocol sees connection_lost(null), the peer a
  // reset (ECONNRESET).
  void abort_with_reset();
  void set_write_buffer_limits(std::optional<long> high, std::optional<long> low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }
  size_t get_write_buffer_size() const override { return buffer_.size() - offset_; }

  // The stream's resource id: what every callback of this transport carries.
  uint64_t resource_id() const override { return resource_; }
  // The stream below (its resource id, its world's details). Valid while the transport lives.
  const StreamSocket& socket() const { return *socket_; }

 private:
  void on_readable() override;
  void on_writable() override;
  void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept override;
  void start_reading();
  void stop_reading();
  void on_eof();
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void force_close(std::exception_ptr exc);
  // Tells the loop's observers about bytes that crossed this connection (pipes: not yet).
  void observe_bytes(IoDirection direction, std::string_view data);
  void fatal_error(std::exception_ptr exc, const char* message);
  void call_connection_lost(std::exception_ptr exc);
  std::exception_ptr os_error(int err) const;
  void consume(size_t n);
  void half_close();

  EventLoop& loop_;
  std::shared_ptr<StreamSocket> socket_;
  StreamSocket::Kind kind_;
  uint64_t resource_;
  uint16_t group_;
  std::shared_ptr<Protocol> protocol_;
  std::function<void()> on_lost_;
  std::shared_ptr<StreamTransport> self_;  // from start() until the connection is lost
  SocketAddress peer_;
  SocketAddress sock_;
  std::string buffer_;  // unsent bytes are buffer_[offset_, size)
  size_t offset_ = 0;
  size_t high_ = kDefaultHighWater;
  size_t low_ = kDefaultLowWater;
  int conn_lost_ = 0;
  bool live_ = true;  // the socket is open (false once closed, or abandoned by the loop)
  bool reset_on_close_ = false;
  bool aborted_ = false;  // closed by abort(), not by an error or close()
  bool closing_ = false;
  bool eof_ = false;  // write_eof() called
  bool paused_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool protocol_connected_ = false;
  bool made_pending_ = false;  // start() queued connection_made; it has not run yet
  // The loss that arrived while connection_made was pending; the start entry delivers it.
  std::optional<std::exception_ptr> lost_before_made_;
  bool protocol_paused_ = false;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_STREAM_TRANSPORT_H_
