// The simulated network's UDP engine: bound endpoints (UdpEndpoint, the simulated
// DatagramSocket) and the engine that moves datagrams between them over the topology
// (topology.h): loss, duplication, reordering, latency, bandwidth, cuts, clogs, crashes. The
// asyncio transport above them is the shared io_internal::SocketDatagramTransport. Not for use
// outside sim/net.
#ifndef WEFT_SIM_NET_UDP_ENGINE_H_
#define WEFT_SIM_NET_UDP_ENGINE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "runtime/io/datagram_socket.h"
#include "sim/net/topology.h"

namespace weft::sim::net_internal {

class UdpEngine;

// A bound UDP socket on a simulated host: the simulated world's DatagramSocket
// (runtime/io/datagram_socket.h). The asyncio transport above it is
// io_internal::SocketDatagramTransport, shared with the real world. Datagrams arrive into
// `inbox_` at their arrival times (after the engine's loss, duplication, reordering, latency,
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
  friend class UdpEngine;

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

  UdpEngine* engine_ = nullptr;  // null before adoption and once detached
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

// ---- The engine: endpoints and the datagrams between them ----

class UdpEngine {
 public:
  explicit UdpEngine(Topology& net) : net_(net) {}
  UdpEngine(const UdpEngine&) = delete;
  UdpEngine& operator=(const UdpEngine&) = delete;

  Topology& net() { return net_; }

  // Binds an endpoint on `host` (`local`, or the wildcard / the source address toward `remote`,
  // with an ephemeral port); OSError(EADDRNOTAVAIL / EADDRINUSE) naming the address.
  std::shared_ptr<UdpEndpoint> open(HostId host, std::optional<SocketAddress> local,
                                    std::optional<SocketAddress> remote, int family,
                                    bool reuse_port);
  // Sends one datagram of `ep` toward `to` (lost, duplicated, delayed, reordered by choice);
  // 0, or the errno that stops it before it leaves (EAFNOSUPPORT, ENETUNREACH, EINVAL).
  int send(UdpEndpoint& ep, std::string data, const SocketAddress& to);
  void unbind(UdpEndpoint& ep);
  // `host` crashed: its endpoints vanish without a word to their owners.
  void crash(HostId host, Graveyard& graveyard);
  // The loop closed (after the topology detached every endpoint): forgets them.
  void release();

 private:
  // A host's UDP ports and bound endpoints.
  struct UdpHost {
    absl::btree_map<int, int> ports;
    std::vector<UdpEndpoint*> endpoints;  // in bind order
  };
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
  struct Flow {
    std::deque<Datagram> queue;
    bool armed = false;
  };
  UdpHost& at(HostId host);
  void arm(uint64_t flow_id);
  void flow_due(uint64_t flow_id);
  void arrive(Datagram d);

  Topology& net_;
  std::vector<UdpHost> hosts_;  // by host id, grown on first use
  absl::btree_map<uint64_t, UdpEndpoint*> by_id_;
  absl::btree_map<uint64_t, Flow> flows_;  // by sending endpoint id
};

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_UDP_ENGINE_H_
