// The simulated network's TCP engine (see the diagram at the top of sim/net/tcp.cc): connections
// and their ends (TcpEnd, the simulated StreamSocket), listening sockets (SimListener, the
// simulated Listener) and the engine that moves their segments over the topology (topology.h).
// The asyncio transport and server above them are the shared io_internal::StreamTransport and
// StreamServer. Not for use outside sim/net.
#ifndef WEFT_SIM_NET_TCP_ENGINE_H_
#define WEFT_SIM_NET_TCP_ENGINE_H_

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "runtime/future.h"
#include "runtime/handle.h"
#include "runtime/io/listener.h"
#include "runtime/io/network_service.h"
#include "runtime/io/stream_socket.h"
#include "sim/net/topology.h"

namespace weft::sim::net_internal {

class TcpEngine;
class TcpEnd;
class SimListener;

// ---- TCP ----

enum class SegKind : uint8_t { kSyn, kSynAck, kData, kFin, kRst };

struct Segment {
  SegKind kind;
  std::string data;
  int64_t arrival_ns;
};

// One direction of a connection: from end `s` to end `1 - s`.
struct Direction {
  std::deque<Segment> inflight;  // arrival times never decrease
  TimerHandle timer;              // armed for inflight.front()
  bool armed = false;
  bool stalled = false;           // the front could not arrive (cut): waits for a heal
  TimerHandle stall_timer;
  bool stall_armed = false;
  int64_t last_arrival_ns = 0;
  bool gap_next = false;          // the last segment was a split piece: space the next one
  size_t window_used = 0;         // in flight + arrived but not yet handed to the protocol
};

struct TcpConnection : std::enable_shared_from_this<TcpConnection> {
  uint64_t id = 0;  // a loop-issued resource id: both ends report it (TcpEnd::resource_id)
  HostId host[2] = {kNoHost, kNoHost};  // [0] the connecting side, [1] the accepting side
  SocketAddress addr[2];
  std::shared_ptr<TcpEnd> end[2];
  Direction dir[2];
  bool syn_arrived = false;
};

// One end of a simulated connection: the simulated world's StreamSocket
// (runtime/io/stream_socket.h). The asyncio transport above it is io_internal::StreamTransport,
// shared with the real world. Bytes arrive into `inbox_` at their segments' arrival times; while
// read interest is on, readiness runs as its own ready-queue entry (the strategy orders it
// against everything else ready). A write takes what the window allows now.
class TcpEnd final : public StreamSocket,
                     public Attached,
                     public std::enable_shared_from_this<TcpEnd> {
 public:
  enum class Phase : uint8_t {
    kIdle,        // accepting side before the SYN arrives
    kConnecting,  // connecting side before the SYN-ACK
    kBacklog,     // accepting side, handshake done, not yet accepted by the server
    kOpen,
    kClosed,      // the "socket" is gone; what arrives is answered with RST
  };

  // `id`: the connection's loop-issued resource id, the same for both ends (what its
  // deliveries, timers and the reads they wake carry).
  TcpEnd(std::weak_ptr<TcpConnection> conn, int side, HostId host, SocketAddress sock,
         SocketAddress peer, uint16_t group, uint64_t id);
  ~TcpEnd() override;

  Kind kind() const override { return Kind::kConnection; }
  uint64_t id() const override { return id_; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override;
  void want_write(bool on) override;
  IoResult read(std::string& into) override;
  IoResult write(std::string_view data) override;
  void shutdown_write() override;
  void close(bool reset) override;
  SocketAddress local_address() const override { return sock_; }
  SocketAddress peer_address() const override { return peer_; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }
  void detach(Graveyard& graveyard) override;

  // The handshake's outcome (connecting side, until it is known).
  Future<void> connect_future() const { return *connect_future_; }

 private:
  friend class TcpEngine;
  friend class SimListener;

  // What read() / write() would not answer EAGAIN to.
  bool readable() const;
  bool writable() const;
  // Level-triggered readiness: one ready entry at a time, run again while still ready.
  void schedule_kick();
  void kick();
  // The crash of its host, or the loop closing: gone without a word to its owner's protocol.
  void vanish(Graveyard& graveyard);

  TcpEngine* engine_ = nullptr;  // null before adoption and once detached
  std::weak_ptr<TcpConnection> conn_;
  int side_;
  HostId host_;
  SocketAddress sock_;
  SocketAddress peer_;
  uint16_t group_;
  uint64_t id_;
  Phase phase_;
  Events* events_ = nullptr;
  std::optional<Future<void>> connect_future_;  // connecting side: the handshake's outcome
  TimerHandle connect_timer_;
  std::string inbox_;    // arrived, not yet read
  bool inbox_fin_ = false;
  int error_ = 0;        // ECONNRESET, ETIMEDOUT: what read and write report once closed by it
  bool want_read_ = false;
  bool want_write_ = false;
  bool fin_sent_ = false;
  bool kick_scheduled_ = false;
  bool port_held_ = false;
  bool rst_answered_ = false;
};

// A listening socket on one address: the simulated world's Listener. Connections whose
// handshake completed wait in its backlog until accepted; asyncio's Server above it is the
// shared io_internal::StreamServer.
class SimListener final : public Listener,
                          public Attached,
                          public std::enable_shared_from_this<SimListener> {
 public:
  SimListener(HostId host, SocketAddress address, uint16_t group, uint64_t id);
  ~SimListener() override;

  uint64_t id() const override { return id_; }
  void set_events(Events* events) override { events_ = events; }
  void want_accept(bool on) override;
  std::shared_ptr<StreamSocket> accept(int& err) override;
  SocketAddress address() const override { return address_; }
  void close() override;
  void detach(Graveyard& graveyard) override;

 private:
  friend class TcpEngine;
  void enqueue(std::shared_ptr<TcpEnd> end);
  bool pending() const;
  void schedule_kick();
  void kick();
  // Crash: gone without resetting anything or telling the server more than that it is gone.
  void vanish(Graveyard& graveyard);

  TcpEngine* engine_ = nullptr;  // null before adoption and once detached
  HostId host_;
  SocketAddress address_;
  uint16_t group_;
  uint64_t id_;
  Events* events_ = nullptr;
  std::deque<std::shared_ptr<TcpEnd>> backlog_;
  bool watching_ = false;
  bool closed_ = false;
  bool kick_scheduled_ = false;
};

// ---- The engine: connections, their segments, listeners ----

class TcpEngine {
 public:
  explicit TcpEngine(Topology& net) : net_(net) {}
  TcpEngine(const TcpEngine&) = delete;
  TcpEngine& operator=(const TcpEngine&) = delete;

  Topology& net() { return net_; }

  // Opens a connection from `src` to `dst` (its SYN leaves now); the connecting end.
  std::shared_ptr<TcpEnd> open(HostId src, const SocketAddress& dst,
                               const std::optional<SocketAddress>& local);
  void cancel_connect(const std::shared_ptr<TcpEnd>& end);
  // Takes up to the window's room of `data` from end `s` into segments; how much it took, or
  // an errno.
  IoResult send(TcpConnection& c, int s, std::string_view data);
  // shutdown(SHUT_WR) of end `s`: a FIN after what it sent.
  void send_fin(TcpConnection& c, int s) { depart(c, s, SegKind::kFin, {}); }
  // `n` bytes of end `e`'s inbox were read: the sender's window opens again.
  void credit(TcpEnd& e, size_t n);
  // Closes end `e` now: FIN after what was sent, or RST when `rst` (or when unread data is
  // left, as a kernel does).
  void close_now(TcpEnd& e, bool rst);
  void reset_both(TcpConnection& c);
  size_t reset_connections(HostId a, HostId b);
  size_t open_connections() const;
  // Listens on every address of `infos` (their port; 0: one ephemeral port for all of them).
  std::vector<std::shared_ptr<Listener>> listen(HostId host, const std::vector<AddrInfo>& infos,
                                                const ServerOptions& options);
  void unlisten(SimListener& listener);
  // Held segments flow again where the cut or crash that held them is gone.
  void resume_all();
  // `host` crashed: its ends vanish without a word to their owners, each peer elsewhere hears an
  // RST one latency later, its listeners vanish.
  void crash(HostId host, Graveyard& graveyard);
  // The loop closed (after the topology detached every socket): forgets every connection and
  // listener.
  void release(Graveyard& graveyard);

 private:
  // A host's TCP ports and listening sockets.
  struct TcpHost {
    absl::btree_map<int, int> ports;  // port -> users (listeners and connection ends)
    struct Listening {
      SocketAddress address;
      bool reuse_port;
      std::shared_ptr<SimListener> listener;  // the network keeps a listening socket alive
    };
    std::vector<Listening> listeners;  // in bind order
  };
  TcpHost& at(HostId host);
  template <class S>
  void adopt(S& socket);
  void depart(TcpConnection& c, int s, SegKind kind, std::string data, bool split = false);
  void arm(TcpConnection& c, int s);
  void arrive(TcpConnection& c, int s);
  void stall(TcpConnection& c, int s);
  void on_syn(TcpConnection& c);
  void on_synack(TcpConnection& c);
  void on_rst(TcpConnection& c, int r);
  void answer_rst(TcpConnection& c, int closed_side);
  void fail(TcpConnection& c, int s, int err);
  void fail_connect(TcpConnection& c, std::exception_ptr exc);
  void drop_end(TcpConnection& c, int s, Graveyard& graveyard);
  void release_port(TcpEnd& e);
  void maybe_erase(TcpConnection& c);
  void resume(TcpConnection& c, int s);
  void clear_direction(Direction& d);
  std::exception_ptr error(int err, const char* what, const TcpEnd& e) const;

  Topology& net_;
  std::vector<TcpHost> hosts_;  // by host id, grown on first use
  absl::btree_map<uint64_t, std::shared_ptr<TcpConnection>> conns_;
};

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_TCP_ENGINE_H_
