// Internals of weft::sim::Network (see the diagram in network.cc): the Fabric holds the hosts,
// links, cuts and every socket; TcpEnd, SimListener and UdpEndpoint are the world's sockets,
// listeners and datagram sockets below asyncio. Not for use outside sim/net.
#ifndef WEFT_SIM_NET_FABRIC_H_
#define WEFT_SIM_NET_FABRIC_H_

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
#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "runtime/future.h"
#include "runtime/handle.h"
#include "runtime/io/datagram_socket.h"
#include "runtime/io/network_service.h"
#include "runtime/io/server.h"
#include "runtime/io/stream_socket.h"
#include "runtime/io/transport.h"
#include "runtime/observer.h"
#include "sim/choice_source.h"
#include "sim/net/network_config.h"

namespace weft::sim {
class SimLoop;
using HostId = uint32_t;
}  // namespace weft::sim

namespace weft::sim::net_internal {

inline constexpr HostId kNoHost = UINT32_MAX;

class Fabric;
class TcpEnd;
class SimListener;
class UdpEndpoint;

// Protocols, futures and the like released on teardown or crash: destroyed after the network's
// own state is consistent, never called.
using Graveyard = std::vector<std::shared_ptr<void>>;

// Something the network hands out that may outlive it (transports, servers). On teardown the
// network detaches it; afterwards every call on it is a no-op.
class Attached {
 public:
  virtual ~Attached() = default;
  virtual void detach(Graveyard& graveyard) = 0;

 protected:
  Fabric* fabric_ = nullptr;
  uint64_t reg_id_ = 0;
  friend class Fabric;
};

struct Host {
  std::string name;
  std::vector<std::string> addresses;
  bool up = true;
  int64_t clog_until_ns = 0;
  int next_port = 32768;  // Linux's ephemeral range: 32768..60999
  absl::btree_map<int, int> tcp_ports;  // port -> users (listeners and connection ends)
  absl::btree_map<int, int> udp_ports;
  struct Listening {
    SocketAddress address;
    bool reuse_port;
    std::shared_ptr<SimListener> listener;  // the network keeps a listening socket alive
  };
  std::vector<Listening> listeners;   // in bind order
  std::vector<UdpEndpoint*> udp;      // in bind order
};

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
  friend class Fabric;
  friend class SimListener;

  // What read() / write() would not answer EAGAIN to.
  bool readable() const;
  bool writable() const;
  // Level-triggered readiness: one ready entry at a time, run again while still ready.
  void schedule_kick();
  void kick();
  // The crash of its host, or the loop closing: gone without a word to its owner's protocol.
  void vanish(Graveyard& graveyard);

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
  friend class Fabric;
  void enqueue(std::shared_ptr<TcpEnd> end);
  bool pending() const;
  void schedule_kick();
  void kick();
  // Crash: gone without resetting anything or telling the server more than that it is gone.
  void vanish(Graveyard& graveyard);

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

// ---- UDP ----

// A bound UDP socket on a simulated host: the simulated world's DatagramSocket
// (runtime/io/datagram_socket.h). The asyncio transport above it is
// io_internal::SocketDatagramTransport, shared with the real world. Datagrams arrive into
// `inbox_` at their arrival times (after the fabric's loss, duplication, reordering, latency,
// cuts and clogs); while read interest is on, readiness runs as its own ready-queue entry. A
// send leaves at once (no send buffer is modelled: never EAGAIN).
class UdpEndpoint final : public DatagramSocket,
                          public Attached,
                          public std::enable_shared_from_this<UdpEndpoint> {
 public:
  // `id`: the endpoint's loop-issued resource id (what its readiness, its datagrams' timers and
  // the reads they wake carry; also the key of its flow of datagrams).
  UdpEndpoint(HostId host, SocketAddress sock, std::optional<SocketAddress> remote,
              bool reuse_port, uint16_t group, uint64_t id);
  ~UdpEndpoint() override;

  uint64_t id() const override { return id_; }
  void set_events(Events* events) override { events_ = events; }
  void want_read(bool on) override;
  void want_write(bool on) override;
  IoResult receive(std::string& into, SocketAddress& from) override;
  IoResult send(std::string_view data, const std::optional<SocketAddress>& to) override;
  void close() override;
  SocketAddress local_address() const override { return sock_; }
  std::optional<SocketAddress> peer_address() const override { return remote_; }
  ExtraInfo extra_info(std::string_view) const override { return std::monostate{}; }
  void detach(Graveyard& graveyard) override;

  // The largest datagram a send takes (IPv4: 65535 - 20 - 8; IPv6: 65535 - 8); EMSGSIZE above.
  static constexpr size_t kMaxDatagramV4 = 65507;
  static constexpr size_t kMaxDatagramV6 = 65527;

 private:
  friend class Fabric;

  // What receive() / send() would not answer EAGAIN to.
  bool readable() const;
  bool writable() const;
  // Level-triggered readiness: one ready entry at a time, run again while still ready.
  void schedule_kick();
  void kick();
  // A datagram arrived for it.
  void deliver(std::string data, SocketAddress from);
  // An ICMP error for an earlier datagram (ECONNREFUSED): held until the next receive or send.
  void fail(int err);
  // The crash of its host, or the loop closing: gone without a word to its owner's protocol.
  void vanish(Graveyard& graveyard);

  HostId host_;
  SocketAddress sock_;
  std::optional<SocketAddress> remote_;
  bool reuse_port_;
  uint16_t group_;
  uint64_t id_;
  Events* events_ = nullptr;
  std::deque<std::pair<std::string, SocketAddress>> inbox_;  // arrived, not yet received
  int error_ = 0;  // the pending ICMP error (SO_ERROR)
  int64_t last_arrival_ns_ = 0;
  bool want_read_ = false;
  bool want_write_ = false;
  bool closed_ = false;
  bool bound_ = false;
  bool kick_scheduled_ = false;
};

// ---- The fabric: hosts, links, cuts, and the engines that move segments and datagrams ----

class Fabric {
 public:
  explicit Fabric(SimLoop& loop);
  ~Fabric();
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  SimLoop& loop() { return loop_; }
  NetworkConfig config;

  // The loop closed: detaches every transport, server and endpoint (their protocols dropped
  // uncalled, later calls no-ops) and forgets every connection and listener. Hosts stay.
  void release_all();

  // Hosts and addresses.
  HostId add_host(std::string name, std::vector<std::string> addresses);
  void assign_group(uint16_t group, HostId host);
  HostId current_host() const;
  // current_host(), or OSError(ENETDOWN) when it is down.
  HostId current_host_up() const;
  const Host& host(HostId id) const;
  size_t host_count() const { return hosts_.size(); }
  std::optional<HostId> find_host(std::string_view name_or_address) const;
  // For resolution errors: the host names that exist (the first 16, in the order they came).
  std::string known_hosts() const;
  std::vector<AddrInfo> resolve(std::string_view name, int port, int family, int socktype,
                                int flags) const;
  // The host an address reaches from `from` (loopback and wildcard: `from` itself).
  HostId route(HostId from, const std::string& address) const;
  // The source address `from` uses toward `to_address`; OSError(ENETUNREACH) if it has none of
  // that family.
  std::string source_address(HostId from, const SocketAddress& to) const;
  bool owns(HostId host, const std::string& address) const;

  // Links, cuts, clogs.
  void set_link(HostId a, HostId b, const LinkConfig& link);
  const LinkConfig& link(HostId a, HostId b) const;
  void partition(const std::vector<HostId>& a, const std::vector<HostId>& b, bool both_ways);
  // Tells the loop's observers (on_fault); `host_names` spells a host set for its detail.
  void report_fault(FaultKind kind, uint64_t subject, std::string_view detail);
  std::string host_names(const std::vector<HostId>& ids) const;
  void heal(const std::vector<HostId>& a, const std::vector<HostId>& b);
  void heal_all();
  bool is_cut(HostId from, HostId to) const;
  void clog(HostId host, int64_t duration_ns);
  int64_t clog_until(HostId a, HostId b) const;
  void crash_host(HostId host);
  void restart_host(HostId host);

  // Choices. chance(p): false without drawing when p <= 0; choice 0 is always "no".
  bool chance(ChoiceKind kind, double p);
  int64_t draw_range(ChoiceKind kind, int64_t lo, int64_t hi);
  int64_t draw_latency(HostId from, HostId to);

  // TCP.
  std::shared_ptr<TcpEnd> tcp_open(HostId src, const SocketAddress& dst,
                                   const std::optional<SocketAddress>& local);
  void tcp_cancel_connect(const std::shared_ptr<TcpEnd>& end);
  // Takes up to the window's room of `data` from end `s` into segments; how much it took, or
  // an errno.
  IoResult tcp_send(TcpConnection& c, int s, std::string_view data);
  // shutdown(SHUT_WR) of end `s`: a FIN after what it sent.
  void tcp_send_fin(TcpConnection& c, int s) { tcp_depart(c, s, SegKind::kFin, {}); }
  // `n` bytes of end `e`'s inbox were read: the sender's window opens again.
  void tcp_credit(TcpEnd& e, size_t n);
  // Closes end `e` now: FIN after what was sent, or RST when `rst` (or when unread data is
  // left, as a kernel does).
  void tcp_close_now(TcpEnd& e, bool rst);
  void tcp_reset_both(TcpConnection& c);
  size_t reset_connections(HostId a, HostId b);
  size_t open_connections() const;
  // Listens on every address of `infos` (their port; 0: one ephemeral port for all of them).
  std::vector<std::shared_ptr<Listener>> tcp_listen(HostId host,
                                                    const std::vector<AddrInfo>& infos,
                                                    const ServerOptions& options);
  void tcp_unlisten(SimListener& listener);
  // Runs `fn` so that tasks it creates join `group` (protocol callbacks run outside any task).
  void in_group(uint16_t group, absl::FunctionRef<void()> fn);

  // UDP.
  std::shared_ptr<UdpEndpoint> udp_open(HostId host, std::optional<SocketAddress> local,
                                        std::optional<SocketAddress> remote, int family,
                                        bool reuse_port);
  // Sends one datagram of `ep` toward `to` (lost, duplicated, delayed, reordered by choice);
  // 0, or the errno that stops it before it leaves (EAFNOSUPPORT, ENETUNREACH, EINVAL).
  int udp_send(UdpEndpoint& ep, std::string data, const SocketAddress& to);
  void udp_unbind(UdpEndpoint& ep);

  void attach(Attached* a);
  void forget(Attached* a);

 private:
  void tcp_depart(TcpConnection& c, int s, SegKind kind, std::string data, bool split = false);
  void tcp_arm(TcpConnection& c, int s);
  void tcp_arrive(TcpConnection& c, int s);
  void tcp_stall(TcpConnection& c, int s);
  void tcp_resume_all();
  void tcp_on_syn(TcpConnection& c);
  void tcp_on_synack(TcpConnection& c);
  void tcp_on_rst(TcpConnection& c, int r);
  void tcp_answer_rst(TcpConnection& c, int closed_side);
  void tcp_fail(TcpConnection& c, int s, int err);
  void tcp_fail_connect(TcpConnection& c, std::exception_ptr exc);
  void tcp_drop_end(TcpConnection& c, int s, Graveyard& graveyard);
  void tcp_release_port(TcpEnd& e);
  void tcp_maybe_erase(TcpConnection& c);
  void tcp_resume(TcpConnection& c, int s);
  void clear_direction(Direction& d);
  std::exception_ptr tcp_error(int err, const char* what, const TcpEnd& e) const;
  int pick_port(Host& h, bool tcp);
  // A datagram in flight. FIFO ones of one sender travel in its flow (one timer for the front,
  // so they arrive in order whatever the schedule); reordered ones travel alone.
  struct Datagram {
    uint64_t from_id;
    HostId from_host;
    SocketAddress from;
    HostId to_host;
    SocketAddress to;
    std::string data;
    int64_t arrival_ns;
  };
  struct UdpFlow {
    std::deque<Datagram> queue;
    bool armed = false;
  };
  void udp_arm(uint64_t flow_id);
  void udp_flow_due(uint64_t flow_id);
  void udp_arrive(Datagram d);
  void random_faults(HostId src, HostId dst);

  SimLoop& loop_;
  std::vector<Host> hosts_;
  absl::btree_map<std::string, HostId> by_name_;
  absl::btree_map<std::string, HostId> by_address_;
  absl::btree_map<uint16_t, HostId> groups_;
  absl::btree_set<std::pair<HostId, HostId>> cuts_;
  absl::btree_map<std::pair<HostId, HostId>, LinkConfig> links_;
  absl::btree_map<std::pair<HostId, HostId>, int64_t> link_free_ns_;  // bandwidth
  absl::btree_map<uint64_t, std::shared_ptr<TcpConnection>> conns_;
  absl::btree_map<uint64_t, UdpEndpoint*> udp_by_id_;
  absl::btree_map<uint64_t, UdpFlow> udp_flows_;  // by sending endpoint id
  absl::btree_map<uint64_t, Attached*> attached_;
  uint64_t next_id_ = 0;
};

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_FABRIC_H_
