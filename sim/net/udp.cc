// Simulated UDP: datagram endpoints and the fabric's datagram engine. Each datagram is its own
// timer: lost / duplicated / delayed by choice, dropped across a cut, held by a clog; FIFO per
// sending endpoint unless the link reorders. A datagram to a port nobody bound is dropped, and
// a connected sender hears ConnectionRefusedError through error_received (ICMP, as on Linux).
#include <errno.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/os_error.h"
#include "sim/net/addresses.h"
#include "sim/net/fabric.h"
#include "sim/sim_loop.h"

namespace weft::sim::net_internal {
namespace {

std::string py_addr(const SocketAddress& a) {
  return absl::StrCat("('", a.host, "', ", a.port, ")");
}

}  // namespace

// ---- UdpEndpoint ----

UdpEndpoint::UdpEndpoint(HostId host, SocketAddress sock, std::optional<SocketAddress> remote,
                         bool reuse_port, uint16_t group)
    : host_(host), sock_(std::move(sock)), remote_(std::move(remote)), reuse_port_(reuse_port),
      group_(group) {}

UdpEndpoint::~UdpEndpoint() {
  if (fabric_) {
    fabric_->udp_unbind(*this);
    fabric_->forget(this);
  }
}

ExtraInfo UdpEndpoint::get_extra_info(std::string_view name) const {
  if (name == "sockname") return sock_;
  if (name == "peername" && remote_) return *remote_;
  return std::monostate{};
}

void UdpEndpoint::sendto(std::string_view data, std::optional<SocketAddress> addr) {
  if (addr && remote_ && !(addr->host == remote_->host && addr->port == remote_->port)) {
    throw ValueError(absl::StrCat("Invalid address: must be None or ", py_addr(*remote_)));
  }
  if (!addr && !remote_) throw ValueError("sendto: no address and the endpoint is not connected");
  if (closing_ || !fabric_) return;
  fabric_->udp_send(*this, std::string(data), addr ? *addr : *remote_);
}

void UdpEndpoint::close() {
  if (closing_) return;
  closing_ = true;
  if (!fabric_) return;
  fabric_->udp_unbind(*this);
  if (!lost_ && !pending_lost_) {
    pending_lost_ = nullptr;
    schedule_kick();
  }
}

void UdpEndpoint::schedule_kick() {
  if (kick_scheduled_ || !fabric_ || fabric_->loop().is_closed()) return;
  kick_scheduled_ = true;
  fabric_->loop().call_soon_for(id_, [self = shared_from_this()] { self->kick(); });
}

void UdpEndpoint::kick() {
  kick_scheduled_ = false;
  if (!fabric_ || !protocol_) return;
  auto self = shared_from_this();
  EventLoop& loop = fabric_->loop();
  auto report = [&](const char* what) {
    loop.call_exception_handler({what, std::current_exception(), {}});
  };
  if (!made_) {
    made_ = true;
    fabric_->in_group(group_, [&] {
      try {
        protocol_->connection_made(self);
      } catch (...) {
        report("protocol.connection_made() failed");
      }
    });
    if (waiter_) {
      Future<void> w = *waiter_;
      waiter_.reset();
      if (!w.done()) w.set_result();
    }
  }
  while (fabric_ && protocol_ && !closing_ && !inbox_.empty()) {
    auto [data, from] = std::move(inbox_.front());
    inbox_.pop_front();
    try {
      protocol_->datagram_received(std::move(data), std::move(from));
    } catch (...) {
      report("protocol.datagram_received() failed");
    }
  }
  while (fabric_ && protocol_ && !closing_ && !errors_.empty()) {
    auto exc = std::move(errors_.front());
    errors_.pop_front();
    try {
      protocol_->error_received(std::move(exc));
    } catch (...) {
      report("protocol.error_received() failed");
    }
  }
  if (fabric_ && protocol_ && pending_lost_) {
    std::exception_ptr exc = *pending_lost_;
    pending_lost_.reset();
    auto p = std::move(protocol_);
    protocol_ = nullptr;
    lost_ = true;
    inbox_.clear();
    errors_.clear();
    try {
      p->connection_lost(std::move(exc));
    } catch (...) {
      report("protocol.connection_lost() failed");
    }
  }
}

void UdpEndpoint::receive(std::string data, SocketAddress from) {
  if (closing_ || !protocol_ || !fabric_) return;
  if (made_ && inbox_.empty()) {
    auto self = shared_from_this();
    try {
      protocol_->datagram_received(std::move(data), std::move(from));
    } catch (...) {
      fabric_->loop().call_exception_handler(
          {"protocol.datagram_received() failed", std::current_exception(), {}});
    }
    return;
  }
  inbox_.emplace_back(std::move(data), std::move(from));
  schedule_kick();
}

void UdpEndpoint::error(std::exception_ptr exc) {
  if (closing_ || !protocol_ || !fabric_) return;
  if (made_ && errors_.empty()) {
    auto self = shared_from_this();
    try {
      protocol_->error_received(std::move(exc));
    } catch (...) {
      fabric_->loop().call_exception_handler(
          {"protocol.error_received() failed", std::current_exception(), {}});
    }
    return;
  }
  errors_.push_back(std::move(exc));
  schedule_kick();
}

void UdpEndpoint::detach(Graveyard& graveyard) {
  fabric_ = nullptr;
  closing_ = true;
  graveyard.push_back(std::move(protocol_));
  protocol_ = nullptr;
  if (waiter_) graveyard.push_back(std::make_shared<Future<void>>(*waiter_));
  waiter_.reset();
}

// ---- The fabric's UDP engine ----

std::shared_ptr<UdpEndpoint> Fabric::udp_open(HostId host_id, std::optional<SocketAddress> local,
                                              std::optional<SocketAddress> remote, int family,
                                              bool reuse_port) {
  Host& h = hosts_[host_id];
  if (remote && is_wildcard(remote->host)) {
    remote->host = remote->family == AF_INET6 ? "::1" : "127.0.0.1";
  }
  SocketAddress sock;
  if (local) {
    if (!owns(host_id, local->host)) {
      throw_os_error(EADDRNOTAVAIL,
                     absl::StrCat("error while attempting to bind on address ", py_addr(*local)));
    }
    sock = *local;
  } else {
    sock.family = family;
    sock.host = remote ? source_address(host_id, *remote)
                       : (family == AF_INET6 ? std::string("::") : std::string("0.0.0.0"));
  }
  if (sock.port == 0) {
    sock.port = pick_port(h, false);
  } else {
    for (const UdpEndpoint* o : h.udp) {
      if (o->sock_.port == sock.port && o->sock_.family == sock.family &&
          (o->sock_.host == sock.host || is_wildcard(o->sock_.host) || is_wildcard(sock.host)) &&
          !(o->reuse_port_ && reuse_port)) {
        throw_os_error(EADDRINUSE, absl::StrCat("error while attempting to bind on address ",
                                                py_addr(sock)));
      }
    }
  }
  auto ep = std::make_shared<UdpEndpoint>(host_id, sock, remote, reuse_port,
                                          loop_.current_group());
  attach(ep.get());
  ep->id_ = loop_.next_resource_id();
  udp_by_id_[ep->id_] = ep.get();
  h.udp.push_back(ep.get());
  ++h.udp_ports[sock.port];
  ep->bound_ = true;
  return ep;
}

void Fabric::udp_attach(const std::shared_ptr<UdpEndpoint>& ep,
                        std::shared_ptr<DatagramProtocol> protocol, Future<void> waiter) {
  ep->protocol_ = std::move(protocol);
  waiter.core()->set_resource_id(ep->id_);
  ep->waiter_ = std::move(waiter);
  ep->schedule_kick();
}

void Fabric::udp_unbind(UdpEndpoint& ep) {
  if (!ep.bound_) return;
  ep.bound_ = false;
  udp_by_id_.erase(ep.id_);
  Host& h = hosts_[ep.host_];
  h.udp.erase(std::remove(h.udp.begin(), h.udp.end(), &ep), h.udp.end());
  auto it = h.udp_ports.find(ep.sock_.port);
  if (it != h.udp_ports.end() && --it->second <= 0) h.udp_ports.erase(it);
}

void Fabric::udp_send(UdpEndpoint& ep, std::string data, const SocketAddress& to) {
  auto parsed = parse_numeric(to.host);
  if (!parsed) throw ValueError(absl::StrCat("sendto: not a numeric address: ", to.host));
  if (parsed->first != ep.sock_.family) {
    ep.error(make_os_error(EAFNOSUPPORT, "datagram", to.to_string()));
    return;
  }
  SocketAddress dst{parsed->first, parsed->second, to.port};
  if (is_wildcard(dst.host)) dst.host = dst.family == AF_INET6 ? "::1" : "127.0.0.1";
  const HostId src = ep.host_;
  const HostId dst_host = route(src, dst.host);
  if (dst_host == kNoHost) return;  // nobody has that address: into the void
  SocketAddress from = ep.sock_;
  if (is_wildcard(from.host) || (is_loopback(dst.host) != is_loopback(from.host))) {
    try {
      from.host = source_address(src, dst);
    } catch (const OSError&) {
      ep.error(std::current_exception());
      return;
    }
  }
  if (is_cut(src, dst_host)) return;
  const LinkConfig& l = link(src, dst_host);
  random_faults(src, dst_host);
  if (chance(ChoiceKind::kFault, l.udp_loss)) return;
  const int copies = chance(ChoiceKind::kFault, l.udp_duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    const int64_t now = loop_.time_ns();
    int64_t start = std::max(now, clog_until(src, dst_host));
    if (l.bandwidth > 0) {
      int64_t& free = link_free_ns_[{src, dst_host}];
      start = std::max(start, free);
      const auto bytes = static_cast<uint64_t>(std::max<size_t>(data.size(), 1));
      start += static_cast<int64_t>((bytes * 1'000'000'000ull + l.bandwidth - 1) / l.bandwidth);
      free = start;
    }
    int64_t arrival = start + draw_latency(src, dst_host);
    Datagram d{ep.id_, src, from, dst_host, dst, data, 0};
    if (chance(ChoiceKind::kLatency, l.udp_reorder)) {
      d.arrival_ns =
          arrival + draw_range(ChoiceKind::kLatency, 1, std::max<int64_t>(1, l.udp_reorder_ns));
      loop_.call_at_ns_for(ep.id_, d.arrival_ns,
                           [this, d = std::move(d)]() mutable { udp_arrive(std::move(d)); });
    } else {
      d.arrival_ns = std::max(arrival, ep.last_arrival_ns_);
      ep.last_arrival_ns_ = d.arrival_ns;
      udp_flows_[ep.id_].queue.push_back(std::move(d));
      udp_arm(ep.id_);
    }
  }
}

void Fabric::udp_arm(uint64_t flow_id) {
  auto it = udp_flows_.find(flow_id);
  if (it == udp_flows_.end()) return;
  UdpFlow& f = it->second;
  if (f.armed) return;
  if (f.queue.empty()) {
    udp_flows_.erase(it);
    return;
  }
  f.armed = true;
  // A flow is keyed by its sender's id: the timer carries that endpoint.
  loop_.call_at_ns_for(flow_id, f.queue.front().arrival_ns,
                       [this, flow_id] { udp_flow_due(flow_id); });
}

void Fabric::udp_flow_due(uint64_t flow_id) {
  auto it = udp_flows_.find(flow_id);
  if (it == udp_flows_.end()) return;
  it->second.armed = false;
  const int64_t now = loop_.time_ns();
  auto& q = it->second.queue;
  if (!q.empty()) {
    // A clog holds the whole flow, in order.
    const int64_t clogged = clog_until(q.front().from_host, q.front().to_host);
    if (clogged > now) {
      for (auto& d : q) d.arrival_ns = std::max(d.arrival_ns, clogged);
      udp_arm(flow_id);
      return;
    }
  }
  std::vector<Datagram> due;
  while (!q.empty() && q.front().arrival_ns <= now) {
    due.push_back(std::move(q.front()));
    q.pop_front();
  }
  udp_arm(flow_id);
  for (auto& d : due) udp_arrive(std::move(d));
}

void Fabric::udp_arrive(Datagram d) {
  if (is_cut(d.from_host, d.to_host)) return;  // lost in a partition, or the host crashed
  const int64_t now = loop_.time_ns();
  const int64_t clogged = clog_until(d.from_host, d.to_host);
  if (clogged > now) {
    const uint64_t from_id = d.from_id;
    loop_.call_at_ns_for(from_id, clogged,
                         [this, d = std::move(d)]() mutable { udp_arrive(std::move(d)); });
    return;
  }
  for (UdpEndpoint* ep : hosts_[d.to_host].udp) {
    if (ep->closing_ || ep->sock_.port != d.to.port || ep->sock_.family != d.to.family) continue;
    if (ep->sock_.host != d.to.host && !is_wildcard(ep->sock_.host)) continue;
    if (ep->remote_ && !(ep->remote_->host == d.from.host && ep->remote_->port == d.from.port)) {
      continue;
    }
    auto keep = ep->shared_from_this();
    keep->receive(std::move(d.data), std::move(d.from));
    return;
  }
  // Port unreachable: a connected sender hears of it one latency later.
  auto it = udp_by_id_.find(d.from_id);
  if (it == udp_by_id_.end() || !it->second->remote_ || it->second->closing_) return;
  loop_.call_at_ns_for(d.from_id, now + draw_latency(d.to_host, d.from_host),
                       [this, from_id = d.from_id, to = d.to] {
    auto sender = udp_by_id_.find(from_id);
    if (sender == udp_by_id_.end()) return;
    auto keep = sender->second->shared_from_this();
    keep->error(make_os_error(ECONNREFUSED, "datagram", to.to_string()));
  });
}

}  // namespace weft::sim::net_internal
