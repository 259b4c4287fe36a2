// SocketDatagramTransport: asyncio's datagram transport (_SelectorDatagramTransport) written
// once, over a world's DatagramSocket (runtime/io/datagram_socket.h). Both worlds hand their UDP
// sockets to it; the protocol sees the same callbacks in the same order on either, and the
// loop's observers see every datagram in and out (LoopObserver::on_datagram).
//
//   start ─► connection_made, reading on, waiter done (one ready entry)
//   on_readable ─► receive() ─► datagram_received(data, from) | error_received(OSError)
//   sendto ─► socket send at once ─► EAGAIN: buffered, want_write ─► on_writable ─► flush in
//             order (pause_writing above the high water mark, resume_writing at the low one)
//          ─► any other errno: error_received(OSError); the endpoint stays open
//   close() ─► flush ─► connection_lost(null) on a later iteration ─► socket closed, protocol
//              dropped
#ifndef WEFT_RUNTIME_IO_INTERNAL_DATAGRAM_TRANSPORT_H_
#define WEFT_RUNTIME_IO_INTERNAL_DATAGRAM_TRANSPORT_H_

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/io/datagram_protocol.h"
#include "runtime/io/datagram_socket.h"
#include "runtime/io/datagram_transport.h"
#include "runtime/io/write_transport.h"

namespace weft::io_internal {

class SocketDatagramTransport final
    : public DatagramTransport,
      public DatagramSocket::Events,
      public std::enable_shared_from_this<SocketDatagramTransport> {
 public:
  // Owns `socket`. The protocol's callbacks run in the task group current at construction
  // (EventLoop::GroupScope): tasks they create belong to the node that opened the endpoint.
  SocketDatagramTransport(EventLoop& loop, std::shared_ptr<DatagramSocket> socket,
                          std::shared_ptr<DatagramProtocol> protocol);
  ~SocketDatagramTransport() override;

  // Schedules connection_made, then starts reading, then completes `waiter` — one ready entry,
  // so no strategy runs them in another order.
  void start(Future<void> waiter);

  void sendto(std::string_view data, std::optional<SocketAddress> addr = std::nullopt) override;
  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view name) const override;
  void abort() override { force_close(nullptr); }
  size_t get_write_buffer_size() const override { return buffer_size_; }
  void set_write_buffer_limits(std::optional<long> high, std::optional<long> low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }
  // The endpoint's resource id: what every callback of this transport carries.
  uint64_t resource_id() const override { return resource_; }

  // asyncio's UDP header allowance per buffered datagram (get_write_buffer_size).
  static constexpr size_t kHeaderSize = 8;

 private:
  void on_readable() override;
  void on_writable() override;
  void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept override;
  void error_received(int err, const char* call, const std::optional<SocketAddress>& peer);
  void observe(IoDirection direction, const std::optional<SocketAddress>& peer,
               std::string_view data);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void force_close(std::exception_ptr exc);
  void call_connection_lost(std::exception_ptr exc);
  void report(const char* what);

  struct Pending {
    std::string data;
    std::optional<SocketAddress> to;  // empty: the connected peer
  };

  EventLoop& loop_;
  std::shared_ptr<DatagramSocket> socket_;
  uint64_t resource_;
  uint16_t group_;
  std::shared_ptr<DatagramProtocol> protocol_;
  std::shared_ptr<SocketDatagramTransport> self_;  // from start() until connection_lost
  SocketAddress sock_;
  std::optional<SocketAddress> peer_;
  std::deque<Pending> buffer_;
  size_t buffer_size_ = 0;
  size_t high_ = kDefaultHighWater;
  size_t low_ = kDefaultLowWater;
  int conn_lost_ = 0;
  bool live_ = true;  // the socket is open (false once closed, or abandoned by the loop)
  bool closing_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool protocol_connected_ = false;
  bool protocol_paused_ = false;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_DATAGRAM_TRANSPORT_H_
