// Simulated UDP: the endpoints (UdpEndpoint, the simulated DatagramSocket) and the fabric's
// datagram engine. The asyncio transport above them is the shared
// io_internal::SocketDatagramTransport. Each datagram is lost / duplicated / delayed by choice,
// dropped across a cut, held by a clog; FIFO per sending endpoint (one timer for its flow's
// front) unless the link reorders it. A datagram to a port nobody bound is dropped, and a
// connected sender's next receive or send reports ECONNREFUSED (ICMP, as on Linux), which the
// transport hands to error_received.
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
                         bool reuse_port, uint16_t group, uint64_t id)
    : host_(host), sock_(std::move(sock)), remote_(std::move(remote)), reuse_port_(reuse_port),
      group_(group), id_(id) {}

UdpEndpoint::~UdpEndpoint() {
  if (fabric_) {
    fabric_->udp_unbind(*this);
    fabric_->forget(this);
  }
}

bool UdpEndpoint::readable() const {
  return !closed_ && fabric_ && (!inbox_.empty() || error_ != 0);
}

bool UdpEndpoint::writable() const { return !closed_ && fabric_; }

void UdpEndpoint::want_read(bool on) {
  want_read_ = on;
  if (on && readable()) schedule_kick();
}

void UdpEndpoint::want_write(bool on) {
  want_write_ = on;
  if (on && writable()) schedule_kick();
}

void UdpEndpoint::schedule_kick() {
  if (kick_scheduled_ || !events_ || !fabric_ || fabric_->loop().is_closed()) return;
  kick_scheduled_ = true;
  fabric_->loop().call_soon_for(id_, [self = shared_from_this()] { self->kick(); });
}

void UdpEndpoint::kick() {
  kick_scheduled_ = false;
  if (!fabric_) return;
  auto self = shared_from_this();
  if (events_ && want_read_ && readable()) {
    fabric_->in_group(group_, [&] { events_->on_readable(); });
  }
  if (events_ && want_write_ && writable()) {
    fabric_->in_group(group_, [&] { events_->on_writable(); });
  }
  // Level-triggered: one datagram per readiness callback, as asyncio's _read_ready; the rest
  // runs again on a later iteration.
  if ((want_read_ && readable()) || (want_write_ && writable())) schedule_kick();
}

IoResult UdpEndpoint::receive(std::string& into, SocketAddress& from) {
  if (closed_ || !fabric_) return {.err = EBADF};
  if (error_ != 0) return {.err = std::exchange(error_, 0)};
  if (inbox_.empty()) return {.err = EAGAIN};
  into = std::move(inbox_.front().first);
  from = std::move(inbox_.front().second);
  inbox_.pop_front();
  return {.bytes = into.size()};
}

IoResult UdpEndpoint::send(std::string_view data, const std::optional<SocketAddress>& to) {
  if (closed_ || !fabric_) return {.err = EBADF};
  // Linux reports a connected socket's pending ICMP error to the next send too (and the
  // datagram does not leave).
  if (error_ != 0) return {.err = std::exchange(error_, 0)};
  if (!to && !remote_) return {.err = EDESTADDRREQ};
  if (data.size() > (sock_.family == AF_INET6 ? kMaxDatagramV6 : kMaxDatagramV4)) {
    return {.err = EMSGSIZE};
  }
  if (const int err = fabric_->udp_send(*this, std::string(data), to ? *to : *remote_)) {
    return {.err = err};
  }
  return {.bytes = data.size()};
}

void UdpEndpoint::close() {
  events_ = nullptr;
  want_read_ = want_write_ = false;
  if (closed_) return;
  closed_ = true;
  inbox_.clear();
  if (fabric_) fabric_->udp_unbind(*this);
}

void UdpEndpoint::deliver(std::string data, SocketAddress from) {
  if (closed_ || !fabric_) return;
  inbox_.emplace_back(std::move(data), std::move(from));
  if (want_read_) schedule_kick();
}

void UdpEndpoint::fail(int err) {
  if (closed_ || !fabric_) return;
  error_ = err;
  if (want_read_) schedule_kick();
}

void UdpEndpoint::vanish(Graveyard& graveyard) {
  closed_ = true;
  inbox_.clear();
  error_ = 0;
  want_read_ = want_write_ = false;
  if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
}

void UdpEndpoint::detach(Graveyard& graveyard) {
  fabric_ = nullptr;
  vanish(graveyard);
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
                                          loop_.current_group(), loop_.next_resource_id());
  attach(ep.get());
  udp_by_id_[ep->id_] = ep.get();
  h.udp.push_back(ep.get());
  ++h.udp_ports[sock.port];
  ep->bound_ = true;
  return ep;
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

int Fabric::udp_send(UdpEndpoint& ep, std::string data, const SocketAddress& to) {
  auto parsed = parse_numeric(to.host);
  if (!parsed) return EINVAL;
  if (parsed->first != ep.sock_.family) return EAFNOSUPPORT;
  SocketAddress dst{parsed->first, parsed->second, to.port};
  if (is_wildcard(dst.host)) dst.host = dst.family == AF_INET6 ? "::1" : "127.0.0.1";
  const HostId src = ep.host_;
  const HostId dst_host = route(src, dst.host);
  if (dst_host == kNoHost) return 0;  // nobody has that address: into the void
  SocketAddress from = ep.sock_;
  if (is_wildcard(from.host) || (is_loopback(dst.host) != is_loopback(from.host))) {
    try {
      from.host = source_address(src, dst);
    } catch (const OSError&) {
      return ENETUNREACH;
    }
  }
  if (is_cut(src, dst_host)) {
    report_fault(FaultKind::kDatagramLost, ep.id_, "cut");
    return 0;
  }
  const LinkConfig& l = link(src, dst_host);
  random_faults(src, dst_host);
  if (chance(ChoiceKind::kFault, l.udp_loss)) {
    report_fault(FaultKind::kDatagramLost, ep.id_, "");
    return 0;
  }
  const int copies = chance(ChoiceKind::kFault, l.udp_duplicate) ? 2 : 1;
  if (copies == 2) report_fault(FaultKind::kDatagramDuplicated, ep.id_, "");
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
  return 0;
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
  if (is_cut(d.from_host, d.to_host)) {  // lost in a partition, or the host crashed
    report_fault(FaultKind::kDatagramLost, d.from_id, "cut");
    return;
  }
  const int64_t now = loop_.time_ns();
  const int64_t clogged = clog_until(d.from_host, d.to_host);
  if (clogged > now) {
    const uint64_t from_id = d.from_id;
    loop_.call_at_ns_for(from_id, clogged,
                         [this, d = std::move(d)]() mutable { udp_arrive(std::move(d)); });
    return;
  }
  for (UdpEndpoint* ep : hosts_[d.to_host].udp) {
    if (ep->closed_ || ep->sock_.port != d.to.port || ep->sock_.family != d.to.family) continue;
    if (ep->sock_.host != d.to.host && !is_wildcard(ep->sock_.host)) continue;
    if (ep->remote_ && !(ep->remote_->host == d.from.host && ep->remote_->port == d.from.port)) {
      continue;
    }
    ep->deliver(std::move(d.data), std::move(d.from));
    return;
  }
  // Port unreachable: a connected sender hears of it one latency later.
  auto it = udp_by_id_.find(d.from_id);
  if (it == udp_by_id_.end() || !it->second->remote_ || it->second->closed_) return;
  loop_.call_at_ns_for(d.from_id, now + draw_latency(d.to_host, d.from_host),
                       [this, from_id = d.from_id, to = d.to] {
    auto sender = udp_by_id_.find(from_id);
    if (sender == udp_by_id_.end()) return;
    sender->second->fail(ECONNREFUSED);
  });
}

}  // namespace weft::sim::net_internal
