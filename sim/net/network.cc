// weft::sim::Network — the simulated network model.
//
//   host "default" (id 0)                 host "a" (id 1)             host "b" (id 2)
//   10.0.0.1 fd00::1                      10.0.0.2 ...                ...
//   ┌─────────────────────┐   link a↔b: latency distribution, bandwidth, UDP loss/dup/reorder
//   │ tasks of group 0    │   cut (one-way or both) · clog (per host) · crash (per host)
//   │ lo: 127.0.0.1, ::1  │◄──────────────────────────────────────────────────────────────┐
//   │ listeners, UDP ports│                                                               │
//   └─────────┬───────────┘                                                               │
//             │ TcpConnection #id: end[0] (connecting) ═══ dir[0] ══► end[1] (accepting)  │
//             │                  end[0] ◄══ dir[1] ═══════════════════ end[1]            ─┘
//             │   dir: in-flight segments (SYN, SYN-ACK, data, FIN, RST) in arrival order,
//             │        one timer for the front, a window of in-flight + unread bytes
//             └── UdpEndpoint: a flow per sender (one timer for its front), reordered ones alone
//
// What is modelled
//  - Hosts with names and IPv4/IPv6 addresses; each host's own loopback; "localhost"; a task's
//    sockets belong to the host of its group (assign_group), group 0 to the default host.
//  - TCP: handshake (connect completes after a round trip; a port nobody listens on answers RST:
//    ConnectionRefusedError after a round trip); an ordered byte stream per direction; segments
//    cut short at seeded sizes (partial reads) and coalesced when they arrive together; latency
//    drawn per segment but never overtaking; bandwidth per link; a window (in flight + unread)
//    so a reader that pauses makes the writer buffer, pause_writing and drain wait; half-close;
//    close flushes then FIN, or RST when unread data is left; data to a closed socket is
//    answered with RST; listeners with a backlog (completed before accept; reset on close).
//  - UDP: bind/connect, loss, duplication, reordering, latency, bandwidth; ICMP port
//    unreachable to connected senders (error_received: ConnectionRefusedError).
//  - Faults: cuts (one-way or both ways; TCP held and retransmitted after the heal with the
//    same spacing, OSError(ETIMEDOUT) after tcp_timeout_ns of held data; connects time out after
//    connect_timeout_ns; UDP lost), clogs, scripted resets, crashes (connections vanish locally
//    without callbacks, peers reset; listeners and endpoints vanish), seeded random resets,
//    partitions and clogs (NetworkConfig::faults).
//
// What is not modelled: congestion control, slow start, Nagle, delayed ACKs (the window opens
// the moment the reader takes the data), MTU and IP fragmentation, a backlog limit, half-open
// detection by keepalives, SO_LINGER other than through reset(), TIME_WAIT (ports are reusable
// at once), ICMP for TCP (an unknown address just times out), DNS latency, IPv4-mapped IPv6
// addresses, multicast and broadcast, and an RST racing ahead of data already in flight.
#include "sim/net/network.h"

#include <errno.h>
#include <netdb.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/errors.h"
#include "runtime/future.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/os_error.h"
#include "runtime/observer.h"
#include "sim/net/fabric.h"
#include "sim/sim_loop.h"

namespace weft::sim {

using net_internal::Fabric;

Network::Network(SimLoop& loop) : loop_(loop), fabric_(std::make_unique<Fabric>(loop)) {}
Network::~Network() = default;

void Network::release_all() { fabric_->release_all(); }

NetworkConfig& Network::config() { return fabric_->topology.config; }
void Network::set_link(HostId a, HostId b, const LinkConfig& link) {
  fabric_->topology.set_link(a, b, link);
}

HostId Network::add_host(std::string name, std::vector<std::string> addresses) {
  return fabric_->topology.add_host(std::move(name), std::move(addresses));
}
void Network::assign_group(uint16_t group, HostId host) {
  fabric_->topology.assign_group(group, host);
}
HostId Network::current_host() const { return fabric_->topology.current_host(); }
std::optional<HostId> Network::find_host(std::string_view name_or_address) const {
  return fabric_->topology.find_host(name_or_address);
}
const std::string& Network::host_name(HostId host) const {
  return fabric_->topology.host(host).name;
}
const std::vector<std::string>& Network::host_addresses(HostId host) const {
  return fabric_->topology.host(host).addresses;
}
size_t Network::host_count() const { return fabric_->topology.host_count(); }

void Network::partition(const std::vector<HostId>& a, const std::vector<HostId>& b,
                        bool both_ways) {
  fabric_->topology.partition(a, b, both_ways);
}
void Network::heal(const std::vector<HostId>& a, const std::vector<HostId>& b) {
  fabric_->topology.heal(a, b);
}
void Network::heal_all() { fabric_->topology.heal_all(); }
bool Network::is_cut(HostId from, HostId to) const { return fabric_->topology.is_cut(from, to); }
void Network::clog(HostId host, int64_t duration_ns) {
  fabric_->topology.clog(host, duration_ns);
}

void Network::reset(const std::shared_ptr<BaseTransport>& transport) {
  auto* stream = dynamic_cast<io_internal::StreamTransport*>(transport.get());
  if (!stream || !dynamic_cast<const net_internal::TcpEnd*>(&stream->socket())) return;
  if (LoopObserver* o = loop_.observer()) {
    o->on_fault(FaultKind::kReset, stream->socket().id(), "reset by the test");
  }
  stream->abort_with_reset();
}

size_t Network::reset_connections(HostId a, HostId b) {
  return fabric_->tcp.reset_connections(a, b);
}

TimerHandle Network::at(int64_t when_ns, absl::AnyInvocable<void()> fn) {
  return loop_.call_at_ns(when_ns, std::move(fn));
}

void Network::crash_host(HostId host) { fabric_->crash_host(host); }
void Network::restart_host(HostId host) { fabric_->restart_host(host); }
bool Network::is_up(HostId host) const { return fabric_->topology.host(host).up; }
size_t Network::open_connections() const { return fabric_->tcp.open_connections(); }

Task<std::vector<AddrInfo>> Network::getaddrinfo(std::string host, int port, int family,
                                                 int socktype, int flags) {
  co_return fabric_->topology.resolve(host, port, family, socktype, flags);
}

Task<std::shared_ptr<StreamSocket>> Network::connect(SocketAddress address,
                                                    std::optional<SocketAddress> local) {
  const HostId src = fabric_->topology.current_host_up();
  // The handshake's outcome, or its error. A cancelled connect withdraws the SYN (or resets the
  // other side if it already answered).
  std::shared_ptr<net_internal::TcpEnd> end = fabric_->tcp.open(src, address, local);
  Future<void> done = end->connect_future();
  try {
    co_await done;
  } catch (const CancelledError&) {
    fabric_->tcp.cancel_connect(end);
    throw;
  }
  co_return end;
}

std::vector<std::shared_ptr<Listener>> Network::listen(const std::vector<AddrInfo>& addresses,
                                                       const ServerOptions& options) {
  const HostId src = fabric_->topology.current_host_up();
  return fabric_->tcp.listen(src, addresses, options);
}

std::shared_ptr<DatagramSocket> Network::open_datagram(const DatagramSocketOptions& options) {
  const HostId src = fabric_->topology.current_host_up();
  return fabric_->udp.open(src, options.local, options.remote, options.family,
                           options.reuse_port);
}

}  // namespace weft::sim
