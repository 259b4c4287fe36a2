// Simulated TCP: the connection ends (TcpEnd, the simulated StreamSocket), the listening sockets
// (SimListener) and the engine that moves their segments over the topology (TcpEngine). The
// asyncio transport and server above them are the shared io_internal::StreamTransport and
// StreamServer.
//
//   transport write ─► TcpEnd::write ─► TcpEngine::send: segments of ≤ max_segment while the
//              window has room (a segment may be cut short: a partial read); the rest stays in the
//              transport's buffer until on_writable ─► depart: arrival time = now +
//              transmission (bandwidth) + drawn latency, never before the previous one
//   timer at the front's arrival ─► arrive: cut? stall (held; ETIMEDOUT after
//              tcp_timeout_ns) · clogged? wait · else everything due lands in the peer's inbox
//   inbox ─► on_readable (its own ready entry) ─► read: the whole inbox, then EOF ─► the window
//              opens again and the sender's on_writable runs
//   close ─► FIN (RST when unread data is left, or on abort_with_reset) · RST / timeout ─►
//              read and write report ECONNRESET / ETIMEDOUT
#include <errno.h>
#include <netdb.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/os_error.h"
#include "sim/net/addresses.h"
#include "sim/net/tcp_engine.h"
#include "sim/sim_loop.h"

namespace weft::sim::net_internal {
namespace {

using Phase = TcpEnd::Phase;

std::string py_addr(const SocketAddress& a) {
  return absl::StrCat("('", a.host, "', ", a.port, ")");
}

}  // namespace

// ---- TcpEnd ----

TcpEnd::TcpEnd(std::weak_ptr<TcpConnection> conn, int side, HostId host, SocketAddress sock,
               SocketAddress peer, uint16_t group, uint64_t id)
    : conn_(std::move(conn)), side_(side), host_(host), sock_(std::move(sock)),
      peer_(std::move(peer)), group_(group), id_(id),
      phase_(side == 0 ? Phase::kConnecting : Phase::kIdle) {}

TcpEnd::~TcpEnd() {
  if (registry_) registry_->forget(this);
}

bool TcpEnd::readable() const {
  if (error_ != 0) return true;
  if (phase_ != Phase::kOpen) return false;
  return !inbox_.empty() || inbox_fin_;
}

bool TcpEnd::writable() const {
  if (error_ != 0) return true;
  if (phase_ != Phase::kOpen || fin_sent_ || !engine_) return false;
  auto c = conn_.lock();
  return c && c->dir[side_].window_used < engine_->net().config.window;
}

void TcpEnd::want_read(bool on) {
  want_read_ = on;
  if (on && readable()) schedule_kick();
}

void TcpEnd::want_write(bool on) {
  want_write_ = on;
  if (on && writable()) schedule_kick();
}

void TcpEnd::schedule_kick() {
  if (kick_scheduled_ || !events_ || !engine_ || engine_->net().loop().is_closed()) return;
  kick_scheduled_ = true;
  engine_->net().loop().call_soon_for(id_, [self = shared_from_this()] { self->kick(); });
}

void TcpEnd::kick() {
  kick_scheduled_ = false;
  auto self = shared_from_this();
  if (events_ && want_read_ && readable()) {
    engine_->net().in_group(group_, [&] { events_->on_readable(); });
  }
  if (events_ && want_write_ && writable()) {
    engine_->net().in_group(group_, [&] { events_->on_writable(); });
  }
  // Level-triggered: what is still ready (the owner did not read everything, or still wants to
  // write into an open window) runs again on a later iteration.
  if ((want_read_ && readable()) || (want_write_ && writable())) schedule_kick();
}

IoResult TcpEnd::read(std::string& into) {
  if (error_ != 0) return {.err = error_};
  if (phase_ != Phase::kOpen || !engine_) return {.err = ENOTCONN};
  if (!inbox_.empty()) {
    into = std::move(inbox_);
    inbox_.clear();
    const size_t n = into.size();
    engine_->credit(*this, n);
    return {.bytes = n};
  }
  if (inbox_fin_) return {};  // EOF
  return {.err = EAGAIN};
}

IoResult TcpEnd::write(std::string_view data) {
  if (error_ != 0) return {.err = error_};
  if (!engine_ || phase_ != Phase::kOpen || fin_sent_) return {.err = EPIPE};
  auto c = conn_.lock();
  if (!c) return {.err = EPIPE};
  return engine_->send(*c, side_, data);
}

void TcpEnd::shutdown_write() {
  if (!engine_ || phase_ != Phase::kOpen || fin_sent_) return;
  auto c = conn_.lock();
  if (!c) return;
  fin_sent_ = true;
  engine_->send_fin(*c, side_);
}

void TcpEnd::close(bool reset) {
  events_ = nullptr;
  want_read_ = want_write_ = false;
  if (!engine_) return;
  if (phase_ == Phase::kConnecting) {
    engine_->cancel_connect(shared_from_this());
  } else if (phase_ != Phase::kClosed) {
    engine_->close_now(*this, reset);
  }
}

void TcpEnd::vanish(Graveyard& graveyard) {
  want_read_ = want_write_ = false;
  if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
}

void TcpEnd::detach(Graveyard& graveyard) {
  engine_ = nullptr;
  phase_ = Phase::kClosed;
  vanish(graveyard);
  if (connect_future_) graveyard.push_back(std::make_shared<Future<void>>(*connect_future_));
  connect_future_.reset();
}

// ---- SimListener ----

SimListener::SimListener(HostId host, SocketAddress address, uint16_t group, uint64_t id)
    : host_(host), address_(std::move(address)), group_(group), id_(id) {}

SimListener::~SimListener() {
  if (registry_) registry_->forget(this);
}

bool SimListener::pending() const {
  for (const auto& e : backlog_) {
    if (e->phase_ == Phase::kBacklog) return true;
  }
  return false;
}

void SimListener::want_accept(bool on) {
  watching_ = on;
  if (on && pending()) schedule_kick();
}

void SimListener::schedule_kick() {
  if (kick_scheduled_ || !events_ || !engine_ || engine_->net().loop().is_closed()) return;
  kick_scheduled_ = true;
  engine_->net().loop().call_soon_for(id_, [self = shared_from_this()] { self->kick(); });
}

void SimListener::kick() {
  kick_scheduled_ = false;
  if (!events_ || !watching_ || closed_ || !engine_ || !pending()) return;
  auto self = shared_from_this();
  engine_->net().in_group(group_, [&] { events_->on_acceptable(); });
  if (watching_ && !closed_ && pending()) schedule_kick();
}

void SimListener::enqueue(std::shared_ptr<TcpEnd> end) {
  backlog_.push_back(std::move(end));
  if (watching_) schedule_kick();
}

std::shared_ptr<StreamSocket> SimListener::accept(int& err) {
  while (!backlog_.empty()) {
    std::shared_ptr<TcpEnd> e = std::move(backlog_.front());
    backlog_.pop_front();
    if (e->phase_ != Phase::kBacklog) continue;  // reset while it waited
    e->phase_ = Phase::kOpen;
    return e;
  }
  err = closed_ ? EBADF : EAGAIN;
  return nullptr;
}

void SimListener::close() {
  if (closed_) return;
  auto self = shared_from_this();
  closed_ = true;
  events_ = nullptr;
  watching_ = false;
  auto backlog = std::move(backlog_);
  backlog_.clear();
  if (engine_) {
    engine_->unlisten(*this);
    // Connections the kernel completed but nobody accepted are reset, as closing a listening
    // socket does.
    for (auto& e : backlog) {
      if (e->phase_ == Phase::kBacklog) engine_->close_now(*e, /*rst=*/true);
    }
  }
}

void SimListener::vanish(Graveyard& graveyard) {
  closed_ = true;
  watching_ = false;
  for (auto& e : backlog_) graveyard.push_back(std::move(e));
  backlog_.clear();
  if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
}

void SimListener::detach(Graveyard& graveyard) {
  engine_ = nullptr;
  vanish(graveyard);
}

// ---- The engine ----

TcpEngine::TcpHost& TcpEngine::at(HostId host) {
  if (host >= hosts_.size()) hosts_.resize(host + 1);
  return hosts_[host];
}

template <class S>
void TcpEngine::adopt(S& socket) {
  net_.attach(&socket);
  socket.engine_ = this;
}

void TcpEngine::crash(HostId h, Graveyard& graveyard) {
  std::vector<std::shared_ptr<TcpConnection>> conns;
  for (auto& [id, c] : conns_) conns.push_back(c);
  for (auto& c : conns) {
    const bool mine[2] = {c->host[0] == h, c->host[1] == h};
    if (!mine[0] && !mine[1]) continue;
    // An accepting end the SYN has not reached yet does not exist: the SYN stays held.
    if (mine[1] && !mine[0] && c->end[1]->phase_ == TcpEnd::Phase::kIdle) continue;
    for (int s = 0; s < 2; ++s) {
      if (mine[s]) drop_end(*c, s, graveyard);
    }
    clear_direction(c->dir[0]);
    clear_direction(c->dir[1]);
    for (int s = 0; s < 2; ++s) {
      if (mine[s]) continue;
      TcpEnd& other = *c->end[s];
      if (other.phase_ == TcpEnd::Phase::kClosed || other.phase_ == TcpEnd::Phase::kIdle) continue;
      // The peer hears of the crash one link latency later, as an RST.
      std::weak_ptr<TcpConnection> w = c;
      net_.loop().call_at_ns_for(c->id, net_.loop().time_ns() + net_.draw_latency(h, c->host[s]),
                                 [this, w, s] {
        if (auto conn = w.lock()) {
          on_rst(*conn, s);
          maybe_erase(*conn);
        }
      });
    }
    maybe_erase(*c);
  }
  TcpHost& host_ref = at(h);
  auto listeners = std::move(host_ref.listeners);
  host_ref.listeners.clear();
  for (auto& l : listeners) {
    l.listener->vanish(graveyard);
    graveyard.push_back(std::move(l.listener));
  }
  host_ref.ports.clear();
}

void TcpEngine::release(Graveyard& graveyard) {
  conns_.clear();
  for (auto& h : hosts_) {
    for (auto& l : h.listeners) graveyard.push_back(std::move(l.listener));
    h.listeners.clear();
  }
}

std::exception_ptr TcpEngine::error(int err, const char* what, const TcpEnd& e) const {
  return make_os_error(err, what, e.peer_.to_string());
}

std::shared_ptr<TcpEnd> TcpEngine::open(HostId src, const SocketAddress& dst_in,
                                         const std::optional<SocketAddress>& local) {
  TcpHost& sh = at(src);
  SocketAddress dst = dst_in;
  if (is_wildcard(dst.host)) dst.host = dst.family == AF_INET6 ? "::1" : "127.0.0.1";
  SocketAddress me;
  me.family = dst.family;
  if (local) {
    auto parsed = parse_numeric(local->host);
    if (!parsed) {
      throw ValueError(absl::StrCat("local_addr is not a numeric address: ", local->host));
    }
    if (!net_.owns(src, parsed->second) || parsed->first != dst.family) {
      throw_os_error(EADDRNOTAVAIL,
                     absl::StrCat("error while attempting to bind on address ", py_addr(*local)));
    }
    me.host = is_wildcard(parsed->second) ? net_.source_address(src, dst) : parsed->second;
    me.port = local->port;
  } else {
    me.host = net_.source_address(src, dst);
  }
  if (me.port == 0) me.port = net_.pick_port(src, sh.ports);
  const HostId dst_host = net_.route(src, dst.host);

  auto c = std::make_shared<TcpConnection>();
  c->id = net_.loop().next_resource_id();
  c->host[0] = src;
  c->host[1] = dst_host;
  c->addr[0] = me;
  c->addr[1] = dst;
  c->end[0] = std::make_shared<TcpEnd>(c, 0, src, me, dst, net_.loop().current_group(), c->id);
  c->end[1] = std::make_shared<TcpEnd>(c, 1, dst_host, dst, me, 0, c->id);
  adopt(*c->end[0]);
  adopt(*c->end[1]);
  ++sh.ports[me.port];
  c->end[0]->port_held_ = true;
  conns_[c->id] = c;

  TcpEnd& e = *c->end[0];
  e.connect_future_.emplace(net_.loop());
  e.connect_future_->core()->set_resource_id(c->id);
  if (net_.config.connect_timeout_ns > 0) {
    std::weak_ptr<TcpConnection> w = c;
    const int64_t deadline = net_.loop().time_ns() + net_.config.connect_timeout_ns;
    e.connect_timer_ = net_.loop().call_at_ns_for(c->id, deadline, [this, w] {
      auto conn = w.lock();
      if (!conn || conn->end[0]->phase_ != Phase::kConnecting) return;
      fail_connect(*conn, error(ETIMEDOUT, "Connect call failed", *conn->end[0]));
      maybe_erase(*conn);
    });
  }
  // An address no host has swallows the SYN: the connect times out.
  if (dst_host != kNoHost) depart(*c, 0, SegKind::kSyn, {});
  return c->end[0];
}

void TcpEngine::cancel_connect(const std::shared_ptr<TcpEnd>& end) {
  auto c = end->conn_.lock();
  if (!c) return;
  if (end->phase_ == Phase::kConnecting) {
    end->phase_ = Phase::kClosed;
    end->connect_timer_.cancel();
    release_port(*end);
    if (c->syn_arrived) {
      depart(*c, 0, SegKind::kRst, {});  // the other side has it: reset it
    } else {
      clear_direction(c->dir[0]);  // withdraw the SYN
    }
  } else if (end->phase_ == Phase::kOpen) {
    close_now(*end, /*rst=*/true);
  }
  maybe_erase(*c);
}

IoResult TcpEngine::send(TcpConnection& c, int s, std::string_view data) {
  auto keep = c.shared_from_this();
  TcpEnd& e = *c.end[s];
  Direction& d = c.dir[s];
  const size_t segment = std::max<size_t>(net_.config.max_segment, 1);
  size_t taken = 0;
  while (taken < data.size()) {
    const size_t room = net_.config.window > d.window_used ? net_.config.window - d.window_used : 0;
    if (room == 0) break;
    size_t n = std::min({data.size() - taken, room, segment});
    if (c.host[0] != c.host[1] &&
        net_.chance(ChoiceKind::kFault, net_.config.faults.tcp_reset_probability)) {
      reset_both(c);
      return {.err = ECONNRESET};
    }
    bool split = false;
    if (n > 1 && net_.chance(ChoiceKind::kLatency, net_.config.partial_read_probability)) {
      n = 1 + static_cast<size_t>(net_.loop().choose(ChoiceKind::kLatency, n - 1));
      split = true;
    }
    depart(c, s, SegKind::kData, std::string(data.substr(taken, n)), split);
    taken += n;
    if (e.phase_ != Phase::kOpen) break;
  }
  if (taken == 0) return {.err = EAGAIN};
  return {.bytes = taken};
}

void TcpEngine::credit(TcpEnd& e, size_t n) {
  auto c = e.conn_.lock();
  if (!c) return;
  Direction& d = c->dir[1 - e.side_];
  d.window_used -= std::min(d.window_used, n);
  TcpEnd& sender = *c->end[1 - e.side_];
  if (sender.want_write_) sender.schedule_kick();
}

void TcpEngine::depart(TcpConnection& c, int s, SegKind kind, std::string data, bool split) {
  const int r = 1 - s;
  const HostId src = c.host[s];
  const HostId dst = c.host[r];
  if (dst == kNoHost || src == kNoHost) return;
  Direction& d = c.dir[s];
  const int64_t now = net_.loop().time_ns();
  int64_t start = std::max(now, net_.clog_until(src, dst));
  const LinkConfig& l = net_.link(src, dst);
  if (l.bandwidth > 0 && !data.empty()) start = net_.occupy_link(src, dst, data.size(), start);
  int64_t arrival = start + net_.draw_latency(src, dst);
  if (d.gap_next) arrival = std::max(arrival, d.last_arrival_ns + net_.config.split_gap_ns);
  arrival = std::max(arrival, d.last_arrival_ns);
  d.gap_next = split;
  d.last_arrival_ns = arrival;
  const bool is_data = kind == SegKind::kData;
  if (is_data) d.window_used += data.size();
  d.inflight.push_back(Segment{kind, std::move(data), arrival});
  if (is_data) net_.random_faults(src, dst);
  arm(c, s);
}

void TcpEngine::arm(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  if (d.armed || d.stalled || d.inflight.empty()) return;
  d.armed = true;
  std::weak_ptr<TcpConnection> w = c.shared_from_this();
  d.timer = net_.loop().call_at_ns_for(c.id, d.inflight.front().arrival_ns, [this, w, s] {
    if (auto conn = w.lock()) arrive(*conn, s);
  });
}

void TcpEngine::arrive(TcpConnection& c, int s) {
  auto keep = c.shared_from_this();
  const int r = 1 - s;
  Direction& d = c.dir[s];
  d.armed = false;
  if (d.inflight.empty()) return;
  if (net_.is_cut(c.host[s], c.host[r])) {
    stall(c, s);
    return;
  }
  const int64_t now = net_.loop().time_ns();
  const int64_t clogged = net_.clog_until(c.host[s], c.host[r]);
  if (clogged > now) {
    for (auto& seg : d.inflight) seg.arrival_ns = std::max(seg.arrival_ns, clogged);
    d.last_arrival_ns = std::max(d.last_arrival_ns, clogged);
    arm(c, s);
    return;
  }
  std::shared_ptr<TcpEnd> e = c.end[r];
  while (!d.inflight.empty() && d.inflight.front().arrival_ns <= now) {
    Segment seg = std::move(d.inflight.front());
    d.inflight.pop_front();
    switch (seg.kind) {
      case SegKind::kData:
        if (e->phase_ == Phase::kClosed || e->phase_ == Phase::kIdle) {
          d.window_used -= std::min(d.window_used, seg.data.size());
          answer_rst(c, r);
        } else {
          e->inbox_ += seg.data;
        }
        break;
      case SegKind::kFin:
        if (e->phase_ != Phase::kClosed) e->inbox_fin_ = true;
        break;
      case SegKind::kSyn:
        on_syn(c);
        break;
      case SegKind::kSynAck:
        on_synack(c);
        break;
      case SegKind::kRst:
        on_rst(c, r);
        break;
    }
  }
  if (e->phase_ == Phase::kOpen && e->want_read_ && e->readable()) e->schedule_kick();
  arm(c, s);
  maybe_erase(c);
}

void TcpEngine::stall(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  d.stalled = true;
  d.armed = false;
  if (d.stall_armed || net_.config.tcp_timeout_ns <= 0 || c.end[s]->phase_ != Phase::kOpen) {
    return;
  }
  d.stall_armed = true;
  std::weak_ptr<TcpConnection> w = c.shared_from_this();
  const int64_t deadline = net_.loop().time_ns() + net_.config.tcp_timeout_ns;
  d.stall_timer = net_.loop().call_at_ns_for(c.id, deadline, [this, w, s] {
    auto conn = w.lock();
    if (!conn) return;
    Direction& dd = conn->dir[s];
    dd.stall_armed = false;
    if (!dd.stalled || conn->end[s]->phase_ != Phase::kOpen) return;
    fail(*conn, s, ETIMEDOUT);
    maybe_erase(*conn);
  });
}

void TcpEngine::resume(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  if (!d.stalled || net_.is_cut(c.host[s], c.host[1 - s])) return;
  d.stalled = false;
  if (d.stall_armed) d.stall_timer.cancel();
  d.stall_armed = false;
  if (!d.inflight.empty()) {
    // Retransmitted after the heal: the held segments keep their spacing.
    const int64_t base = net_.loop().time_ns() + net_.draw_latency(c.host[s], c.host[1 - s]);
    const int64_t shift = base - d.inflight.front().arrival_ns;
    if (shift > 0) {
      for (auto& seg : d.inflight) seg.arrival_ns += shift;
      d.last_arrival_ns += shift;
    }
  }
  arm(c, s);
}

void TcpEngine::resume_all() {
  std::vector<std::shared_ptr<TcpConnection>> all;
  for (auto& [id, c] : conns_) all.push_back(c);
  for (auto& c : all) {
    resume(*c, 0);
    resume(*c, 1);
  }
}

void TcpEngine::on_syn(TcpConnection& c) {
  c.syn_arrived = true;
  std::shared_ptr<TcpEnd> srv = c.end[1];
  if (srv->phase_ != Phase::kIdle) return;
  const HostId h = c.host[1];
  std::shared_ptr<SimListener> listener;
  for (const auto& l : at(h).listeners) {
    if (l.address.family == c.addr[1].family && l.address.port == c.addr[1].port &&
        (l.address.host == c.addr[1].host || is_wildcard(l.address.host))) {
      listener = l.listener;
      break;
    }
  }
  if (!listener) {
    srv->phase_ = Phase::kClosed;
    depart(c, 1, SegKind::kRst, {});
    return;
  }
  srv->phase_ = Phase::kBacklog;
  srv->group_ = listener->group_;
  depart(c, 1, SegKind::kSynAck, {});
  listener->enqueue(std::move(srv));
}

void TcpEngine::on_synack(TcpConnection& c) {
  TcpEnd& e = *c.end[0];
  if (e.phase_ == Phase::kClosed) {
    answer_rst(c, 0);
    return;
  }
  if (e.phase_ != Phase::kConnecting) return;
  e.phase_ = Phase::kOpen;
  e.connect_timer_.cancel();
  if (e.connect_future_) {
    Future<void> f = *e.connect_future_;
    e.connect_future_.reset();
    if (!f.done()) f.set_result();
  }
}

void TcpEngine::on_rst(TcpConnection& c, int r) {
  TcpEnd& e = *c.end[r];
  switch (e.phase_) {
    case Phase::kConnecting:
      fail_connect(c, error(ECONNREFUSED, "Connect call failed", e));
      break;
    case Phase::kBacklog:
    case Phase::kOpen:
      fail(c, r, ECONNRESET);
      break;
    case Phase::kIdle:
    case Phase::kClosed:
      break;
  }
}

void TcpEngine::answer_rst(TcpConnection& c, int closed_side) {
  TcpEnd& other = *c.end[1 - closed_side];
  if (other.phase_ == Phase::kClosed || other.phase_ == Phase::kIdle) return;
  TcpEnd& closed = *c.end[closed_side];
  if (closed.rst_answered_) return;  // one RST is enough
  closed.rst_answered_ = true;
  depart(c, closed_side, SegKind::kRst, {});
}

void TcpEngine::fail(TcpConnection& c, int s, int err) {
  TcpEnd& e = *c.end[s];
  if (e.phase_ == Phase::kConnecting) {
    fail_connect(c, error(err, "Connect call failed", e));
    return;
  }
  if (e.phase_ == Phase::kClosed || e.phase_ == Phase::kIdle) return;
  e.phase_ = Phase::kClosed;
  e.error_ = err;
  Direction& in = c.dir[1 - s];
  in.window_used -= std::min(in.window_used, e.inbox_.size());
  e.inbox_.clear();
  e.inbox_fin_ = false;
  clear_direction(c.dir[s]);
  release_port(e);
  // Its owner hears of it at its next read or write (an error is always ready), as from a
  // socket: ECONNRESET, ETIMEDOUT.
  if (e.want_read_ || e.want_write_) e.schedule_kick();
}

void TcpEngine::fail_connect(TcpConnection& c, std::exception_ptr exc) {
  TcpEnd& e = *c.end[0];
  if (e.phase_ != Phase::kConnecting) return;
  e.phase_ = Phase::kClosed;
  e.connect_timer_.cancel();
  release_port(e);
  if (!c.syn_arrived) clear_direction(c.dir[0]);
  if (e.connect_future_) {
    Future<void> f = *e.connect_future_;
    e.connect_future_.reset();
    if (!f.done()) f.set_exception(std::move(exc));
  }
}

void TcpEngine::close_now(TcpEnd& e, bool rst) {
  if (e.phase_ == Phase::kClosed) return;
  auto c = e.conn_.lock();
  if (c && (e.phase_ == Phase::kOpen || e.phase_ == Phase::kBacklog)) {
    if (rst || !e.inbox_.empty()) {
      depart(*c, e.side_, SegKind::kRst, {});
    } else if (!e.fin_sent_) {
      depart(*c, e.side_, SegKind::kFin, {});
    }
    e.fin_sent_ = true;
  }
  e.phase_ = Phase::kClosed;
  if (c) {
    Direction& in = c->dir[1 - e.side_];
    in.window_used -= std::min(in.window_used, e.inbox_.size());
  }
  e.inbox_.clear();
  e.inbox_fin_ = false;
  release_port(e);
  if (c) maybe_erase(*c);
}

void TcpEngine::reset_both(TcpConnection& c) {
  auto keep = c.shared_from_this();
  net_.report_fault(FaultKind::kReset, c.id,
                   absl::StrCat(net_.host(c.host[0]).name, " <-> ", net_.host(c.host[1]).name));
  for (int s = 0; s < 2; ++s) fail(c, s, ECONNRESET);
  maybe_erase(c);
}

size_t TcpEngine::reset_connections(HostId a, HostId b) {
  std::vector<std::shared_ptr<TcpConnection>> hit;
  for (auto& [id, c] : conns_) {
    if (std::minmax(c->host[0], c->host[1]) != std::minmax(a, b)) continue;
    const auto p0 = c->end[0]->phase_;
    const auto p1 = c->end[1]->phase_;
    if (p0 == Phase::kOpen || p1 == Phase::kOpen || p1 == Phase::kBacklog) hit.push_back(c);
  }
  for (auto& c : hit) reset_both(*c);
  return hit.size();
}

size_t TcpEngine::open_connections() const {
  size_t n = 0;
  for (const auto& [id, c] : conns_) {
    const auto p0 = c->end[0]->phase_;
    const auto p1 = c->end[1]->phase_;
    if (p0 != Phase::kClosed || (p1 != Phase::kClosed && p1 != Phase::kIdle)) ++n;
  }
  return n;
}

void TcpEngine::drop_end(TcpConnection& c, int s, Graveyard& graveyard) {
  TcpEnd& e = *c.end[s];
  if (e.phase_ == Phase::kIdle) return;
  e.phase_ = Phase::kClosed;
  e.error_ = 0;
  e.inbox_.clear();
  e.inbox_fin_ = false;
  e.connect_timer_.cancel();
  e.vanish(graveyard);
  release_port(e);
}

void TcpEngine::release_port(TcpEnd& e) {
  if (!e.port_held_) return;
  e.port_held_ = false;
  auto& ports = at(e.host_).ports;
  auto it = ports.find(e.sock_.port);
  if (it != ports.end() && --it->second <= 0) ports.erase(it);
}

void TcpEngine::maybe_erase(TcpConnection& c) {
  auto gone = [](const TcpEnd& e) {
    return e.phase_ == Phase::kClosed || e.phase_ == Phase::kIdle;
  };
  if (!gone(*c.end[0]) || !gone(*c.end[1])) return;
  clear_direction(c.dir[0]);
  clear_direction(c.dir[1]);
  conns_.erase(c.id);
}

void TcpEngine::clear_direction(Direction& d) {
  d.inflight.clear();
  d.window_used = 0;
  if (d.armed) d.timer.cancel();
  d.armed = false;
  d.stalled = false;
  if (d.stall_armed) d.stall_timer.cancel();
  d.stall_armed = false;
  d.gap_next = false;
}

std::vector<std::shared_ptr<Listener>> TcpEngine::listen(HostId host_id,
                                                          const std::vector<AddrInfo>& infos,
                                                          const ServerOptions& options) {
  TcpHost& h = at(host_id);
  for (const auto& info : infos) {
    if (!net_.owns(host_id, info.address.host)) {
      throw_os_error(EADDRNOTAVAIL, absl::StrCat("error while attempting to bind on address ",
                                                 py_addr(info.address)));
    }
  }
  const int port = infos.empty() ? 0 : infos.front().address.port;
  const int p = port != 0 ? port : net_.pick_port(host_id, h.ports);
  std::vector<SocketAddress> addrs;
  for (const auto& info : infos) {
    SocketAddress a{info.family, info.address.host, p};
    if (std::find(addrs.begin(), addrs.end(), a) != addrs.end()) continue;
    for (const auto& l : h.listeners) {
      if (l.address.port == p && l.address.family == a.family &&
          (l.address.host == a.host || is_wildcard(l.address.host) || is_wildcard(a.host)) &&
          !(l.reuse_port && options.reuse_port)) {
        throw_os_error(EADDRINUSE, absl::StrCat("error while attempting to bind on address ",
                                                py_addr(a)));
      }
    }
    addrs.push_back(a);
  }
  std::vector<std::shared_ptr<Listener>> out;
  for (const auto& a : addrs) {
    auto listener = std::make_shared<SimListener>(host_id, a, net_.loop().current_group(),
                                                  net_.loop().next_resource_id());
    adopt(*listener);
    h.listeners.push_back(TcpHost::Listening{a, options.reuse_port, listener});
    ++h.ports[p];
    out.push_back(std::move(listener));
  }
  return out;
}

void TcpEngine::unlisten(SimListener& listener) {
  TcpHost& h = at(listener.host_);
  std::vector<std::shared_ptr<SimListener>> released;
  for (auto it = h.listeners.begin(); it != h.listeners.end();) {
    if (it->listener.get() == &listener) {
      auto pit = h.ports.find(it->address.port);
      if (pit != h.ports.end() && --pit->second <= 0) h.ports.erase(pit);
      released.push_back(std::move(it->listener));
      it = h.listeners.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace weft::sim::net_internal
