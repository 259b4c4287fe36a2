// StreamServer: asyncio.Server written once, over a world's Listeners (runtime/io/listener.h).
// Accepts while serving (up to `backlog` connections per readiness, as asyncio), gives each a
// protocol from the factory and a StreamTransport, counts the connections it accepted so
// wait_closed() returns once the server is closed and every one of them is lost.
//
//   start_serving ─► want_accept ─► on_acceptable ─► accept ─► factory() ─► StreamTransport
//   close ─► listeners closed (waiting connections reset), serve_forever cancelled
//         ─► last connection lost ─► wait_closed() returns
#ifndef WEFT_RUNTIME_IO_INTERNAL_STREAM_SERVER_H_
#define WEFT_RUNTIME_IO_INTERNAL_STREAM_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/io/listener.h"
#include "runtime/io/protocol.h"
#include "runtime/io/server.h"

namespace weft::io_internal {

class StreamServer final : public Server, public std::enable_shared_from_this<StreamServer> {
 public:
  // Protocols (and the tasks their callbacks start) belong to the task group current now.
  StreamServer(EventLoop& loop, ProtocolFactory factory,
               std::vector<std::shared_ptr<Listener>> listeners, int backlog);
  ~StreamServer() override;

  void close() override;
  Task<void> wait_closed() override;
  Task<void> serve_forever() override;
  void start_serving() override;
  bool is_serving() const override { return serving_; }
  std::vector<SocketAddress> sockets() const override;
  EventLoop& get_loop() const override { return loop_; }

 private:
  // One per listener: a listener's events name the listener they came from.
  class Watch final : public Listener::Events {
   public:
    Watch(StreamServer* server, size_t index) : server_(server), index_(index) {}
    void on_acceptable() override { server_->accept_ready(index_); }
    void on_abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept override {
      server_->abandoned(graveyard);
    }

   private:
    StreamServer* server_;
    size_t index_;
  };

  void accept_ready(size_t index);
  void abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept;
  void connection_lost();
  void wakeup();

  EventLoop& loop_;
  ProtocolFactory factory_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Watch>> watches_;
  std::vector<SocketAddress> addresses_;
  int backlog_;
  uint16_t group_;
  size_t active_ = 0;
  bool serving_ = false;
  bool closed_ = false;
  bool woken_ = false;
  std::vector<Future<void>> waiters_;
  std::optional<Future<void>> serving_forever_;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_STREAM_SERVER_H_
