// Simulated UDP: the endpoints (UdpEndpoint, the simulated DatagramSocket) and the engine that
// moves their datagrams over the topology (UdpEngine). The asyncio transport above them is the shared
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
#include "sim/net/udp_engine.h"
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
  if (engine_) engine_->unbind(*this);
  if (registry_) registry_->forget(this);
}

bool UdpEndpoint::readable() const {
  return !closed_ && engine_ && (!inbox_.empty() || error_ != 0);
}

bool UdpEndpoint::writable() const { return !closed_ && engine_; }

void UdpEndpoint::want_read(bool on) {
  want_read_ = on;
  if (on && readable()) schedule_kick();
}

void UdpEndpoint::want_write(bool on) {
  want_write_ = on;
  if (on && writable()) schedule_kick();
}

void UdpEndpoint::schedule_kick() {
  if (kick_scheduled_ || !events_ || !engine_ || engine_->net().loop().is_closed()) return;
  kick_scheduled_ = true;
  engine_->net().loop().call_soon_for(id_, [self = shared_from_this()] { self->kick(); });
}

void UdpEndpoint::kick() {
  kick_scheduled_ = false;
  if (!engine_) return;
  auto self = shared_from_this();
  if (events_ && want_read_ && readable()) {
    engine_->net().in_group(group_, [&] { events_->on_readable(); });
  }
  if (events_ && want_write_ && writable()) {
    engine_->net().in_group(group_, [&] { events_->on_writable(); });
  }
  // Level-triggered: one datagram per readiness callback, as asyncio's _read_ready; the rest
  // runs again on a later iteration.
  if ((want_read_ && readable()) || (want_write_ && writable())) schedule_kick();
}

IoResult UdpEndpoint::receive(std::string& into, SocketAddress& from) {
  if (closed_ || !engine_) return {.err = EBADF};
  if (error_ != 0) return {.err = std::exchange(error_, 0)};
  if (inbox_.empty()) return {.err = EAGAIN};
  into = std::move(inbox_.front().first);
  from = std::move(inbox_.front().second);
  inbox_.pop_front();
  return {.bytes = into.size()};
}

IoResult UdpEndpoint::send(std::string_view data, const std::optional<SocketAddress>& to) {
  if (closed_ || !engine_) return {.err = EBADF};
  // Linux reports a connected socket's pending ICMP error to the next send too (and the
  // datagram does not leave).
  if (error_ != 0) return {.err = std::exchange(error_, 0)};
  if (!to && !remote_) return {.err = EDESTADDRREQ};
  if (data.size() > (sock_.family == AF_INET6 ? kMaxDatagramV6 : kMaxDatagramV4)) {
    return {.err = EMSGSIZE};
  }
  if (const int err = engine_->send(*this, std::string(data), to ? *to : *remote_)) {
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
  if (engine_) engine_->unbind(*this);
}

void UdpEndpoint::deliver(std::string data, SocketAddress from) {
  if (closed_ || !engine_) return;
  inbox_.emplace_back(std::move(data), std::move(from));
  if (want_read_) schedule_kick();
}

void UdpEndpoint::fail(int err) {
  if (closed_ || !engine_) return;
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
  engine_ = nullptr;
  vanish(graveyard);
}

// ---- The engine ----

UdpEngine::UdpHost& UdpEngine::at(HostId host) {
  if (host >= hosts_.size()) hosts_.resize(host + 1);
  return hosts_[host];
}

void UdpEngine::crash(HostId h, Graveyard& graveyard) {
  auto endpoints = at(h).endpoints;
  for (UdpEndpoint* ep : endpoints) {
    unbind(*ep);
    ep->vanish(graveyard);
  }
  at(h).ports.clear();
}

void UdpEngine::release() {
  by_id_.clear();
  for (auto& h : hosts_) h.endpoints.clear();
}

std::shared_ptr<UdpEndpoint> UdpEngine::open(HostId host_id, std::optional<SocketAddress> local,
                                              std::optional<SocketAddress> remote, int family,
                                              bool reuse_port) {
  UdpHost& h = at(host_id);
  if (remote && is_wildcard(remote->host)) {
    remote->host = remote->family == AF_INET6 ? "::1" : "127.0.0.1";
  }
  SocketAddress sock;
  if (local) {
    if (!net_.owns(host_id, local->host)) {
      throw_os_error(EADDRNOTAVAIL,
                     absl::StrCat("error while attempting to bind on address ", py_addr(*local)));
    }
    sock = *local;
  } else {
    sock.family = family;
    sock.host = remote ? net_.source_address(host_id, *remote)
                       : (family == AF_INET6 ? std::string("::") : std::string("0.0.0.0"));
  }
  if (sock.port == 0) {
    sock.port = net_.pick_port(host_id, h.ports);
  } else {
    for (const UdpEndpoint* o : h.endpoints) {
      if (o->sock_.port == sock.port && o->sock_.family == sock.family &&
          (o->sock_.host == sock.host || is_wildcard(o->sock_.host) || is_wildcard(sock.host)) &&
          !(o->reuse_port_ && reuse_port)) {
        throw_os_error(EADDRINUSE, absl::StrCat("error while attempting to bind on address ",
                                                py_addr(sock)));
      }
    }
  }
  auto ep = std::make_shared<UdpEndpoint>(host_id, sock, remote, reuse_port,
                                          net_.loop().current_group(), net_.loop().next_resource_id());
  net_.attach(ep.get());
  ep->engine_ = this;
  by_id_[ep->id_] = ep.get();
  h.endpoints.push_back(ep.get());
  ++h.ports[sock.port];
  ep->bound_ = true;
  return ep;
}

void UdpEngine::unbind(UdpEndpoint& ep) {
  if (!ep.bound_) return;
  ep.bound_ = false;
  by_id_.erase(ep.id_);
  UdpHost& h = at(ep.host_);
  h.endpoints.erase(std::remove(h.endpoints.begin(), h.endpoints.end(), &ep), h.endpoints.end());
  auto it = h.ports.find(ep.sock_.port);
  if (it != h.ports.end() && --it->second <= 0) h.ports.erase(it);
}

int UdpEngine::send(UdpEndpoint& ep, std::string data, const SocketAddress& to) {
  auto parsed = parse_numeric(to.host);
  if (!parsed) return EINVAL;
  if (parsed->first != ep.sock_.family) return EAFNOSUPPORT;
  SocketAddress dst{parsed->first, parsed->second, to.port};
  if (is_wildcard(dst.host)) dst.host = dst.family == AF_INET6 ? "::1" : "127.0.0.1";
  const HostId src = ep.host_;
  const HostId dst_host = net_.route(src, dst.host);
  if (dst_host == kNoHost) return 0;  // nobody has that address: into the void
  SocketAddress from = ep.sock_;
  if (is_wildcard(from.host) || (is_loopback(dst.host) != is_loopback(from.host))) {
    try {
      from.host = net_.source_address(src, dst);
    } catch (const OSError&) {
      return ENETUNREACH;
    }
  }
  if (net_.is_cut(src, dst_host)) {
    net_.report_fault(FaultKind::kDatagramLost, ep.id_, "cut");
    return 0;
  }
  const LinkConfig& l = net_.link(src, dst_host);
  net_.random_faults(src, dst_host);
  if (net_.chance(ChoiceKind::kFault, l.udp_loss)) {
    net_.report_fault(FaultKind::kDatagramLost, ep.id_, "");
    return 0;
  }
  const int copies = net_.chance(ChoiceKind::kFault, l.udp_duplicate) ? 2 : 1;
  if (copies == 2) net_.report_fault(FaultKind::kDatagramDuplicated, ep.id_, "");
  for (int i = 0; i < copies; ++i) {
    const int64_t now = net_.loop().time_ns();
    int64_t start = std::max(now, net_.clog_until(src, dst_host));
    if (l.bandwidth > 0) {
      start = net_.occupy_link(src, dst_host, std::max<size_t>(data.size(), 1), start);
    }
    int64_t arrival = start + net_.draw_latency(src, dst_host);
    Datagram d{ep.id_, src, from, dst_host, dst, data, 0};
    if (net_.chance(ChoiceKind::kLatency, l.udp_reorder)) {
      d.arrival_ns = arrival + net_.draw_range(ChoiceKind::kLatency, 1,
                                               std::max<int64_t>(1, l.udp_reorder_ns));
      net_.loop().call_at_ns_for(ep.id_, d.arrival_ns,
                                 [this, d = std::move(d)]() mutable { arrive(std::move(d)); });
    } else {
      d.arrival_ns = std::max(arrival, ep.last_arrival_ns_);
      ep.last_arrival_ns_ = d.arrival_ns;
      flows_[ep.id_].queue.push_back(std::move(d));
      arm(ep.id_);
    }
  }
  return 0;
}

void UdpEngine::arm(uint64_t flow_id) {
  auto it = flows_.find(flow_id);
  if (it == flows_.end()) return;
  Flow& f = it->second;
  if (f.armed) return;
  if (f.queue.empty()) {
    flows_.erase(it);
    return;
  }
  f.armed = true;
  // A flow is keyed by its sender's id: the timer carries that endpoint.
  net_.loop().call_at_ns_for(flow_id, f.queue.front().arrival_ns,
                             [this, flow_id] { flow_due(flow_id); });
}

void UdpEngine::flow_due(uint64_t flow_id) {
  auto it = flows_.find(flow_id);
  if (it == flows_.end()) return;
  it->second.armed = false;
  const int64_t now = net_.loop().time_ns();
  auto& q = it->second.queue;
  if (!q.empty()) {
    // A clog holds the whole flow, in order.
    const int64_t clogged = net_.clog_until(q.front().from_host, q.front().to_host);
    if (clogged > now) {
      for (auto& d : q) d.arrival_ns = std::max(d.arrival_ns, clogged);
      arm(flow_id);
      return;
    }
  }
  std::vector<Datagram> due;
  while (!q.empty() && q.front().arrival_ns <= now) {
    due.push_back(std::move(q.front()));
    q.pop_front();
  }
  arm(flow_id);
  for (auto& d : due) arrive(std::move(d));
}

void UdpEngine::arrive(Datagram d) {
  if (net_.is_cut(d.from_host, d.to_host)) {  // lost in a partition, or the host crashed
    net_.report_fault(FaultKind::kDatagramLost, d.from_id, "cut");
    return;
  }
  const int64_t now = net_.loop().time_ns();
  const int64_t clogged = net_.clog_until(d.from_host, d.to_host);
  if (clogged > now) {
    const uint64_t from_id = d.from_id;
    net_.loop().call_at_ns_for(from_id, clogged,
                               [this, d = std::move(d)]() mutable { arrive(std::move(d)); });
    return;
  }
  for (UdpEndpoint* ep : at(d.to_host).endpoints) {
    if (ep->closed_ || ep->sock_.port != d.to.port || ep->sock_.family != d.to.family) continue;
    if (ep->sock_.host != d.to.host && !is_wildcard(ep->sock_.host)) continue;
    if (ep->remote_ && !(ep->remote_->host == d.from.host && ep->remote_->port == d.from.port)) {
      continue;
    }
    ep->deliver(std::move(d.data), std::move(d.from));
    return;
  }
  // Port unreachable: a connected sender hears of it one latency later.
  auto it = by_id_.find(d.from_id);
  if (it == by_id_.end() || !it->second->remote_ || it->second->closed_) return;
  net_.loop().call_at_ns_for(d.from_id, now + net_.draw_latency(d.to_host, d.from_host),
                             [this, from_id = d.from_id] {
                               auto sender = by_id_.find(from_id);
                               if (sender != by_id_.end()) sender->second->fail(ECONNREFUSED);
                             });
}

}  // namespace weft::sim::net_internal
