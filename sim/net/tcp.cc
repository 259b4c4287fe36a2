// Simulated TCP: the transports (TcpEnd), servers (SimServer) and the fabric's segment engine.
//
//   write() ─► sendbuf ─► tcp_pump: segments of ≤ max_segment while the window has room
//              (a segment may be cut short: a partial read) ─► tcp_depart: arrival time =
//              now + transmission (bandwidth) + drawn latency, never before the previous one
//   timer at the front's arrival ─► tcp_arrive: cut? stall (held; ETIMEDOUT after
//              tcp_timeout_ns) · clogged? wait · else everything due lands in the peer's inbox
//   inbox ─► deliver (if made, reading, not closing): one data_received, then EOF ─► the window
//              opens again and the sender pumps
//   close() ─► flush ─► FIN (RST when unread data is left) ─► connection_lost(null)
#include <errno.h>
#include <netdb.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/internal/write_limits.h"
#include "runtime/io/os_error.h"
#include "sim/net/addresses.h"
#include "sim/net/fabric.h"
#include "sim/sim_loop.h"

namespace weft::sim::net_internal {
namespace {

using Phase = TcpEnd::Phase;

std::string py_addr(const SocketAddress& a) {
  return absl::StrCat("('", a.host, "', ", a.port, ")");
}

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    return true;
  } catch (...) {
    // Only classifying; the caller keeps `e`.
  }
  return false;
}

}  // namespace

// ---- TcpEnd ----

TcpEnd::TcpEnd(std::weak_ptr<TcpConnection> conn, int side, HostId host, SocketAddress sock,
               SocketAddress peer, uint16_t group)
    : conn_(std::move(conn)), side_(side), host_(host), sock_(std::move(sock)),
      peer_(std::move(peer)), group_(group), phase_(side == 0 ? Phase::kConnecting : Phase::kIdle) {}

TcpEnd::~TcpEnd() {
  if (fabric_) fabric_->forget(this);
}

ExtraInfo TcpEnd::get_extra_info(std::string_view name) const {
  if (name == "peername") return peer_;
  if (name == "sockname") return sock_;
  return std::monostate{};
}

void TcpEnd::schedule_kick() {
  if (kick_scheduled_ || !fabric_ || fabric_->loop().is_closed()) return;
  kick_scheduled_ = true;
  fabric_->loop().call_soon_for(conn_id_, [self = shared_from_this()] { self->kick(); });
}

void TcpEnd::kick() {
  kick_scheduled_ = false;
  if (!fabric_ || !protocol_) return;
  auto self = shared_from_this();
  if (!made_) {
    made_ = true;
    fabric_->in_group(group_, [&] {
      try {
        protocol_->connection_made(self);
      } catch (...) {
        fatal(std::current_exception(), "protocol.connection_made() failed");
      }
    });
    if (waiter_) {
      Future<void> w = *waiter_;
      waiter_.reset();
      if (!w.done()) w.set_result();
    }
    if (!fabric_ || !protocol_) return;
  }
  deliver();
  if (fabric_ && protocol_ && pending_lost_) {
    std::exception_ptr exc = *pending_lost_;
    pending_lost_.reset();
    std::shared_ptr<Protocol> p = std::move(protocol_);
    protocol_ = nullptr;
    lost_ = true;
    std::shared_ptr<SimServer> server = server_.lock();
    try {
      p->connection_lost(std::move(exc));
    } catch (...) {
      fabric_->loop().call_exception_handler(
          {"protocol.connection_lost() failed", std::current_exception(), {}});
    }
    if (server) server->connection_done();
  }
}

void TcpEnd::deliver() {
  if (!fabric_ || !made_ || !protocol_ || closing_ || reading_paused_) return;
  auto self = shared_from_this();
  if (!inbox_.empty()) {
    std::string data = std::move(inbox_);
    inbox_.clear();
    const size_t n = data.size();
    try {
      protocol_->data_received(std::move(data));
    } catch (...) {
      if (fabric_) fabric_->tcp_credit(*this, n);
      fatal(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
      return;
    }
    if (!fabric_) return;
    fabric_->tcp_credit(*this, n);
  }
  if (inbox_fin_ && !eof_delivered_ && fabric_ && protocol_ && !closing_ && !reading_paused_) {
    eof_delivered_ = true;
    bool keep_open = false;
    try {
      keep_open = protocol_->eof_received();
    } catch (...) {
      fatal(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
      return;
    }
    if (!keep_open) close();
  }
}

void TcpEnd::fatal(std::exception_ptr exc, const char* message) {
  // OS errors are the peer's doing; anything else is a bug in the protocol worth a report.
  if (!is_os_error(exc) && fabric_) fabric_->loop().call_exception_handler({message, exc, {}});
  force_close(std::move(exc));
}

void TcpEnd::force_close(std::exception_ptr exc) {
  if (!fabric_) {
    closing_ = true;
    return;
  }
  sendbuf_.clear();
  send_off_ = 0;
  closing_ = true;
  if (phase_ == Phase::kClosed) return;
  fabric_->tcp_close_now(*this, std::move(exc), /*rst=*/false);
}

void TcpEnd::abort_with_reset() {
  if (!fabric_ || phase_ == Phase::kClosed) return;
  sendbuf_.clear();
  send_off_ = 0;
  closing_ = true;
  fabric_->tcp_close_now(*this, nullptr, /*rst=*/true);
}

void TcpEnd::close() {
  if (closing_) return;
  closing_ = true;
  if (!fabric_) return;
  if (phase_ == Phase::kOpen) {
    if (auto c = conn_.lock()) fabric_->tcp_pump(*c, side_);
  } else if (phase_ != Phase::kClosed) {
    fabric_->tcp_close_now(*this, nullptr, /*rst=*/false);
  }
}

void TcpEnd::pause_reading() {
  if (closing_ || reading_paused_) return;
  reading_paused_ = true;
}

void TcpEnd::resume_reading() {
  if (closing_ || !reading_paused_) return;
  reading_paused_ = false;
  if (!inbox_.empty() || inbox_fin_) schedule_kick();
}

std::string TcpEnd::take(size_t n) {
  std::string out = sendbuf_.substr(send_off_, n);
  send_off_ += n;
  if (send_off_ == sendbuf_.size()) {
    sendbuf_.clear();
    send_off_ = 0;
  } else if (send_off_ >= 64 * 1024 && send_off_ * 2 >= sendbuf_.size()) {
    sendbuf_.erase(0, send_off_);
    send_off_ = 0;
  }
  return out;
}

void TcpEnd::write(std::string_view data) {
  if (write_eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  // asyncio drops (and logs) writes on a lost connection.
  if (!fabric_ || lost_ || phase_ == Phase::kClosed) return;
  sendbuf_.append(data);
  if (auto c = conn_.lock()) fabric_->tcp_pump(*c, side_);
  maybe_pause_protocol();
}

void TcpEnd::write_eof() {
  if (closing_ || write_eof_) return;
  write_eof_ = true;
  if (!fabric_) return;
  if (auto c = conn_.lock()) fabric_->tcp_pump(*c, side_);
}

void TcpEnd::set_write_buffer_limits(std::optional<long> high, std::optional<long> low) {
  const io_internal::WriteLimits limits = io_internal::resolve_write_buffer_limits(high, low);
  high_ = limits.high;
  low_ = limits.low;
  maybe_pause_protocol();
}

void TcpEnd::maybe_pause_protocol() {
  if (get_write_buffer_size() <= high_ || protocol_paused_ || !protocol_ || !fabric_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    fabric_->loop().call_exception_handler(
        {"protocol.pause_writing() failed", std::current_exception(), {}});
  }
}

void TcpEnd::maybe_resume_protocol() {
  if (!protocol_paused_ || get_write_buffer_size() > low_ || !protocol_ || !fabric_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    fabric_->loop().call_exception_handler(
        {"protocol.resume_writing() failed", std::current_exception(), {}});
  }
}

void TcpEnd::detach(Graveyard& graveyard) {
  fabric_ = nullptr;
  closing_ = true;
  graveyard.push_back(std::move(protocol_));
  protocol_ = nullptr;
  if (waiter_) graveyard.push_back(std::make_shared<Future<void>>(*waiter_));
  if (connect_future_) graveyard.push_back(std::make_shared<Future<void>>(*connect_future_));
  waiter_.reset();
  connect_future_.reset();
}

// ---- SimServer ----

SimServer::SimServer(EventLoop& loop, HostId host, ProtocolFactory factory,
                     std::vector<SocketAddress> addresses, uint16_t group)
    : loop_(loop), host_(host), factory_(std::move(factory)), addresses_(std::move(addresses)),
      group_(group) {}

SimServer::~SimServer() {
  if (fabric_) fabric_->forget(this);
}

std::vector<SocketAddress> SimServer::sockets() const {
  return closed_ ? std::vector<SocketAddress>{} : addresses_;
}

void SimServer::close() {
  if (closed_) return;
  auto self = shared_from_this();
  closed_ = true;
  serving_ = false;
  auto backlog = std::move(backlog_);
  backlog_.clear();
  if (fabric_) {
    fabric_->tcp_unlisten(*this);
    // Connections the kernel completed but nobody accepted are reset, as closing a listening
    // socket does.
    for (auto& e : backlog) {
      if (e->phase_ == Phase::kBacklog) fabric_->tcp_close_now(*e, nullptr, /*rst=*/true);
    }
  }
  if (serving_forever_ && !serving_forever_->done()) serving_forever_->cancel();
  serving_forever_.reset();
  if (active_ == 0) wakeup();
}

void SimServer::vanish() {
  closed_ = true;
  serving_ = false;
  backlog_.clear();
}

void SimServer::wakeup() {
  woken_ = true;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    if (!w.done()) w.set_result();
  }
}

Task<void> SimServer::wait_closed() {
  if (woken_) co_return;
  Future<void> waiter(loop_);
  waiters_.push_back(waiter);
  co_await waiter;
}

Task<void> SimServer::serve_forever() {
  if (serving_forever_) throw RuntimeError("server is already being awaited on serve_forever()");
  if (closed_) throw RuntimeError("server is closed");
  start_serving();
  serving_forever_.emplace(loop_);
  Future<void> fut = *serving_forever_;
  auto self = shared_from_this();
  std::exception_ptr cancelled;
  try {
    co_await fut;
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  serving_forever_.reset();
  close();
  co_await wait_closed();
  if (cancelled) std::rethrow_exception(cancelled);
}

void SimServer::start_serving() {
  if (serving_ || closed_) return;
  serving_ = true;
  accept_pending();
}

void SimServer::enqueue(std::shared_ptr<TcpEnd> end) {
  backlog_.push_back(std::move(end));
  accept_pending();
}

void SimServer::accept_pending() {
  auto self = shared_from_this();
  while (serving_ && !closed_ && fabric_ && !backlog_.empty()) {
    std::shared_ptr<TcpEnd> e = std::move(backlog_.front());
    backlog_.pop_front();
    if (e->phase_ != Phase::kBacklog) continue;  // reset while it waited
    std::shared_ptr<Protocol> protocol;
    try {
      fabric_->in_group(group_, [&] { protocol = factory_(); });
    } catch (...) {
      loop_.call_exception_handler(
          {"Error on transport creation for incoming connection", std::current_exception(), {}});
      fabric_->tcp_close_now(*e, nullptr, /*rst=*/true);
      continue;
    }
    ++active_;
    e->phase_ = Phase::kOpen;
    e->server_ = self;
    fabric_->tcp_attach(e, std::move(protocol), std::nullopt);
  }
}

void SimServer::connection_done() {
  if (active_ > 0) --active_;
  if (active_ == 0 && closed_) wakeup();
}

void SimServer::detach(Graveyard& graveyard) {
  fabric_ = nullptr;
  graveyard.push_back(std::make_shared<ProtocolFactory>(std::move(factory_)));
  for (auto& e : backlog_) graveyard.push_back(std::move(e));
  backlog_.clear();
}

// ---- The fabric's TCP engine ----

std::exception_ptr Fabric::tcp_error(int err, const char* what, const TcpEnd& e) const {
  return make_os_error(err, what, e.peer_.to_string());
}

std::shared_ptr<TcpEnd> Fabric::tcp_open(HostId src, const SocketAddress& dst_in,
                                         const std::optional<SocketAddress>& local) {
  Host& sh = hosts_[src];
  SocketAddress dst = dst_in;
  if (is_wildcard(dst.host)) dst.host = dst.family == AF_INET6 ? "::1" : "127.0.0.1";
  SocketAddress me;
  me.family = dst.family;
  if (local) {
    auto parsed = parse_numeric(local->host);
    if (!parsed) {
      throw ValueError(absl::StrCat("local_addr is not a numeric address: ", local->host));
    }
    if (!owns(src, parsed->second) || parsed->first != dst.family) {
      throw_os_error(EADDRNOTAVAIL,
                     absl::StrCat("error while attempting to bind on address ", py_addr(*local)));
    }
    me.host = is_wildcard(parsed->second) ? source_address(src, dst) : parsed->second;
    me.port = local->port;
  } else {
    me.host = source_address(src, dst);
  }
  if (me.port == 0) me.port = pick_port(sh, true);
  const HostId dst_host = route(src, dst.host);

  auto c = std::make_shared<TcpConnection>();
  c->id = loop_.next_resource_id();
  c->host[0] = src;
  c->host[1] = dst_host;
  c->addr[0] = me;
  c->addr[1] = dst;
  c->end[0] = std::make_shared<TcpEnd>(c, 0, src, me, dst, loop_.current_group());
  c->end[1] = std::make_shared<TcpEnd>(c, 1, dst_host, dst, me, 0);
  c->end[0]->conn_id_ = c->end[1]->conn_id_ = c->id;
  attach(c->end[0].get());
  attach(c->end[1].get());
  ++sh.tcp_ports[me.port];
  c->end[0]->port_held_ = true;
  conns_[c->id] = c;

  TcpEnd& e = *c->end[0];
  e.connect_future_.emplace(loop_);
  e.connect_future_->core()->set_resource_id(c->id);
  if (config.connect_timeout_ns > 0) {
    std::weak_ptr<TcpConnection> w = c;
    const int64_t deadline = loop_.time_ns() + config.connect_timeout_ns;
    e.connect_timer_ = loop_.call_at_ns_for(c->id, deadline, [this, w] {
      auto conn = w.lock();
      if (!conn || conn->end[0]->phase_ != Phase::kConnecting) return;
      tcp_fail_connect(*conn, tcp_error(ETIMEDOUT, "Connect call failed", *conn->end[0]));
      tcp_maybe_erase(*conn);
    });
  }
  // An address no host has swallows the SYN: the connect times out.
  if (dst_host != kNoHost) tcp_depart(*c, 0, SegKind::kSyn, {});
  return c->end[0];
}

void Fabric::tcp_cancel_connect(const std::shared_ptr<TcpEnd>& end) {
  auto c = end->conn_.lock();
  if (!c) return;
  if (end->phase_ == Phase::kConnecting) {
    end->phase_ = Phase::kClosed;
    end->closing_ = true;
    end->connect_timer_.cancel();
    tcp_release_port(*end);
    if (c->syn_arrived) {
      tcp_depart(*c, 0, SegKind::kRst, {});  // the other side has it: reset it
    } else {
      clear_direction(c->dir[0]);  // withdraw the SYN
    }
  } else if (end->phase_ == Phase::kOpen) {
    end->closing_ = true;
    tcp_close_now(*end, nullptr, /*rst=*/true);
  }
  tcp_maybe_erase(*c);
}

void Fabric::tcp_attach(const std::shared_ptr<TcpEnd>& end, std::shared_ptr<Protocol> protocol,
                        std::optional<Future<void>> waiter) {
  end->protocol_ = std::move(protocol);
  end->waiter_ = std::move(waiter);
  if (end->waiter_) end->waiter_->core()->set_resource_id(end->conn_id_);
  end->schedule_kick();
}

void Fabric::tcp_pump(TcpConnection& c, int s) {
  auto keep = c.shared_from_this();
  std::shared_ptr<TcpEnd> ep = c.end[s];
  TcpEnd& e = *ep;
  if (e.phase_ != Phase::kOpen) return;
  Direction& d = c.dir[s];
  const size_t segment = std::max<size_t>(config.max_segment, 1);
  while (e.get_write_buffer_size() > 0) {
    const size_t room = config.window > d.window_used ? config.window - d.window_used : 0;
    if (room == 0) break;
    size_t n = std::min({e.get_write_buffer_size(), room, segment});
    if (c.host[0] != c.host[1] &&
        chance(ChoiceKind::kFault, config.faults.tcp_reset_probability)) {
      tcp_reset_both(c);
      return;
    }
    bool split = false;
    if (n > 1 && chance(ChoiceKind::kLatency, config.partial_read_probability)) {
      n = 1 + static_cast<size_t>(loop_.choose(ChoiceKind::kLatency, n - 1));
      split = true;
    }
    tcp_depart(c, s, SegKind::kData, e.take(n), split);
    if (e.phase_ != Phase::kOpen) return;
  }
  if (e.get_write_buffer_size() == 0) {
    if (e.closing_) {
      tcp_close_now(e, nullptr, /*rst=*/false);
      return;
    }
    if (e.write_eof_ && !e.fin_sent_) {
      e.fin_sent_ = true;
      tcp_depart(c, s, SegKind::kFin, {});
    }
  }
  e.maybe_resume_protocol();
}

void Fabric::tcp_credit(TcpEnd& e, size_t n) {
  auto c = e.conn_.lock();
  if (!c) return;
  Direction& d = c->dir[1 - e.side_];
  d.window_used -= std::min(d.window_used, n);
  tcp_pump(*c, 1 - e.side_);
}

void Fabric::tcp_depart(TcpConnection& c, int s, SegKind kind, std::string data, bool split) {
  const int r = 1 - s;
  const HostId src = c.host[s];
  const HostId dst = c.host[r];
  if (dst == kNoHost || src == kNoHost) return;
  Direction& d = c.dir[s];
  const int64_t now = loop_.time_ns();
  int64_t start = std::max(now, clog_until(src, dst));
  const LinkConfig& l = link(src, dst);
  if (l.bandwidth > 0 && !data.empty()) {
    int64_t& free = link_free_ns_[{src, dst}];
    start = std::max(start, free);
    const auto bytes = static_cast<uint64_t>(data.size());
    start += static_cast<int64_t>((bytes * 1'000'000'000ull + l.bandwidth - 1) / l.bandwidth);
    free = start;
  }
  int64_t arrival = start + draw_latency(src, dst);
  if (d.gap_next) arrival = std::max(arrival, d.last_arrival_ns + config.split_gap_ns);
  arrival = std::max(arrival, d.last_arrival_ns);
  d.gap_next = split;
  d.last_arrival_ns = arrival;
  const bool is_data = kind == SegKind::kData;
  if (is_data) d.window_used += data.size();
  d.inflight.push_back(Segment{kind, std::move(data), arrival});
  if (is_data) random_faults(src, dst);
  tcp_arm(c, s);
}

void Fabric::tcp_arm(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  if (d.armed || d.stalled || d.inflight.empty()) return;
  d.armed = true;
  std::weak_ptr<TcpConnection> w = c.shared_from_this();
  d.timer = loop_.call_at_ns_for(c.id, d.inflight.front().arrival_ns, [this, w, s] {
    if (auto conn = w.lock()) tcp_arrive(*conn, s);
  });
}

void Fabric::tcp_arrive(TcpConnection& c, int s) {
  auto keep = c.shared_from_this();
  const int r = 1 - s;
  Direction& d = c.dir[s];
  d.armed = false;
  if (d.inflight.empty()) return;
  if (is_cut(c.host[s], c.host[r])) {
    tcp_stall(c, s);
    return;
  }
  const int64_t now = loop_.time_ns();
  const int64_t clogged = clog_until(c.host[s], c.host[r]);
  if (clogged > now) {
    for (auto& seg : d.inflight) seg.arrival_ns = std::max(seg.arrival_ns, clogged);
    d.last_arrival_ns = std::max(d.last_arrival_ns, clogged);
    tcp_arm(c, s);
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
          tcp_answer_rst(c, r);
        } else {
          e->inbox_ += seg.data;
        }
        break;
      case SegKind::kFin:
        if (e->phase_ != Phase::kClosed) e->inbox_fin_ = true;
        break;
      case SegKind::kSyn:
        tcp_on_syn(c);
        break;
      case SegKind::kSynAck:
        tcp_on_synack(c);
        break;
      case SegKind::kRst:
        tcp_on_rst(c, r);
        break;
    }
  }
  if (e->phase_ == Phase::kOpen) e->deliver();
  tcp_arm(c, s);
  tcp_maybe_erase(c);
}

void Fabric::tcp_stall(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  d.stalled = true;
  d.armed = false;
  if (d.stall_armed || config.tcp_timeout_ns <= 0 || c.end[s]->phase_ != Phase::kOpen) return;
  d.stall_armed = true;
  std::weak_ptr<TcpConnection> w = c.shared_from_this();
  d.stall_timer = loop_.call_at_ns_for(c.id, loop_.time_ns() + config.tcp_timeout_ns, [this, w, s] {
    auto conn = w.lock();
    if (!conn) return;
    Direction& dd = conn->dir[s];
    dd.stall_armed = false;
    if (!dd.stalled || conn->end[s]->phase_ != Phase::kOpen) return;
    tcp_fail(*conn, s, tcp_error(ETIMEDOUT, "Connection timed out", *conn->end[s]));
    tcp_maybe_erase(*conn);
  });
}

void Fabric::tcp_resume(TcpConnection& c, int s) {
  Direction& d = c.dir[s];
  if (!d.stalled || is_cut(c.host[s], c.host[1 - s])) return;
  d.stalled = false;
  if (d.stall_armed) d.stall_timer.cancel();
  d.stall_armed = false;
  if (!d.inflight.empty()) {
    // Retransmitted after the heal: the held segments keep their spacing.
    const int64_t base = loop_.time_ns() + draw_latency(c.host[s], c.host[1 - s]);
    const int64_t shift = base - d.inflight.front().arrival_ns;
    if (shift > 0) {
      for (auto& seg : d.inflight) seg.arrival_ns += shift;
      d.last_arrival_ns += shift;
    }
  }
  tcp_arm(c, s);
}

void Fabric::tcp_resume_all() {
  std::vector<std::shared_ptr<TcpConnection>> all;
  for (auto& [id, c] : conns_) all.push_back(c);
  for (auto& c : all) {
    tcp_resume(*c, 0);
    tcp_resume(*c, 1);
  }
}

void Fabric::tcp_on_syn(TcpConnection& c) {
  c.syn_arrived = true;
  std::shared_ptr<TcpEnd> srv = c.end[1];
  if (srv->phase_ != Phase::kIdle) return;
  const HostId h = c.host[1];
  std::shared_ptr<SimServer> server;
  for (const auto& l : hosts_[h].listeners) {
    if (l.address.family == c.addr[1].family && l.address.port == c.addr[1].port &&
        (l.address.host == c.addr[1].host || is_wildcard(l.address.host))) {
      server = l.server;
      break;
    }
  }
  if (!server) {
    srv->phase_ = Phase::kClosed;
    srv->closing_ = true;
    tcp_depart(c, 1, SegKind::kRst, {});
    return;
  }
  srv->phase_ = Phase::kBacklog;
  srv->group_ = server->group_;
  tcp_depart(c, 1, SegKind::kSynAck, {});
  server->enqueue(std::move(srv));
}

void Fabric::tcp_on_synack(TcpConnection& c) {
  TcpEnd& e = *c.end[0];
  if (e.phase_ == Phase::kClosed) {
    tcp_answer_rst(c, 0);
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

void Fabric::tcp_on_rst(TcpConnection& c, int r) {
  TcpEnd& e = *c.end[r];
  switch (e.phase_) {
    case Phase::kConnecting:
      tcp_fail_connect(c, tcp_error(ECONNREFUSED, "Connect call failed", e));
      break;
    case Phase::kBacklog:
    case Phase::kOpen:
      tcp_fail(c, r, tcp_error(ECONNRESET, "Connection reset by peer", e));
      break;
    case Phase::kIdle:
    case Phase::kClosed:
      break;
  }
}

void Fabric::tcp_answer_rst(TcpConnection& c, int closed_side) {
  TcpEnd& other = *c.end[1 - closed_side];
  if (other.phase_ == Phase::kClosed || other.phase_ == Phase::kIdle) return;
  TcpEnd& closed = *c.end[closed_side];
  if (closed.rst_answered_) return;  // one RST is enough
  closed.rst_answered_ = true;
  tcp_depart(c, closed_side, SegKind::kRst, {});
}

void Fabric::tcp_fail(TcpConnection& c, int s, std::exception_ptr exc) {
  TcpEnd& e = *c.end[s];
  if (e.phase_ == Phase::kConnecting) {
    tcp_fail_connect(c, std::move(exc));
    return;
  }
  if (e.phase_ == Phase::kClosed || e.phase_ == Phase::kIdle) return;
  e.phase_ = Phase::kClosed;
  e.closing_ = true;
  e.sendbuf_.clear();
  e.send_off_ = 0;
  Direction& in = c.dir[1 - s];
  in.window_used -= std::min(in.window_used, e.inbox_.size());
  e.inbox_.clear();
  e.inbox_fin_ = false;
  clear_direction(c.dir[s]);
  tcp_release_port(e);
  if (!e.lost_ && !e.pending_lost_) {
    e.pending_lost_ = std::move(exc);
    e.schedule_kick();
  }
}

void Fabric::tcp_fail_connect(TcpConnection& c, std::exception_ptr exc) {
  TcpEnd& e = *c.end[0];
  if (e.phase_ != Phase::kConnecting) return;
  e.phase_ = Phase::kClosed;
  e.closing_ = true;
  e.connect_timer_.cancel();
  tcp_release_port(e);
  if (!c.syn_arrived) clear_direction(c.dir[0]);
  if (e.connect_future_) {
    Future<void> f = *e.connect_future_;
    e.connect_future_.reset();
    if (!f.done()) f.set_exception(std::move(exc));
  }
}

void Fabric::tcp_close_now(TcpEnd& e, std::exception_ptr exc, bool rst) {
  if (e.phase_ == Phase::kClosed) return;
  auto c = e.conn_.lock();
  if (c && (e.phase_ == Phase::kOpen || e.phase_ == Phase::kBacklog)) {
    if (rst || (!e.fin_sent_ && !e.inbox_.empty())) {
      tcp_depart(*c, e.side_, SegKind::kRst, {});
    } else if (!e.fin_sent_) {
      tcp_depart(*c, e.side_, SegKind::kFin, {});
    }
    e.fin_sent_ = true;
  }
  e.phase_ = Phase::kClosed;
  e.closing_ = true;
  e.sendbuf_.clear();
  e.send_off_ = 0;
  if (c) {
    Direction& in = c->dir[1 - e.side_];
    in.window_used -= std::min(in.window_used, e.inbox_.size());
  }
  e.inbox_.clear();
  e.inbox_fin_ = false;
  tcp_release_port(e);
  if (!e.lost_ && !e.pending_lost_) {
    e.pending_lost_ = std::move(exc);
    e.schedule_kick();
  }
  if (c) tcp_maybe_erase(*c);
}

void Fabric::tcp_reset_both(TcpConnection& c) {
  auto keep = c.shared_from_this();
  for (int s = 0; s < 2; ++s) {
    tcp_fail(c, s, tcp_error(ECONNRESET, "Connection reset by peer", *c.end[s]));
  }
  tcp_maybe_erase(c);
}

size_t Fabric::reset_connections(HostId a, HostId b) {
  std::vector<std::shared_ptr<TcpConnection>> hit;
  for (auto& [id, c] : conns_) {
    if (std::minmax(c->host[0], c->host[1]) != std::minmax(a, b)) continue;
    const auto p0 = c->end[0]->phase_;
    const auto p1 = c->end[1]->phase_;
    if (p0 == Phase::kOpen || p1 == Phase::kOpen || p1 == Phase::kBacklog) hit.push_back(c);
  }
  for (auto& c : hit) tcp_reset_both(*c);
  return hit.size();
}

size_t Fabric::open_connections() const {
  size_t n = 0;
  for (const auto& [id, c] : conns_) {
    const auto p0 = c->end[0]->phase_;
    const auto p1 = c->end[1]->phase_;
    if (p0 != Phase::kClosed || (p1 != Phase::kClosed && p1 != Phase::kIdle)) ++n;
  }
  return n;
}

void Fabric::tcp_drop_end(TcpConnection& c, int s, Graveyard& graveyard) {
  TcpEnd& e = *c.end[s];
  if (e.phase_ == Phase::kIdle) return;
  e.phase_ = Phase::kClosed;
  e.closing_ = true;
  e.lost_ = true;
  e.pending_lost_.reset();
  e.sendbuf_.clear();
  e.send_off_ = 0;
  e.inbox_.clear();
  e.inbox_fin_ = false;
  e.connect_timer_.cancel();
  graveyard.push_back(std::move(e.protocol_));
  e.protocol_ = nullptr;
  tcp_release_port(e);
}

void Fabric::tcp_release_port(TcpEnd& e) {
  if (!e.port_held_) return;
  e.port_held_ = false;
  auto& ports = hosts_[e.host_].tcp_ports;
  auto it = ports.find(e.sock_.port);
  if (it != ports.end() && --it->second <= 0) ports.erase(it);
}

void Fabric::tcp_maybe_erase(TcpConnection& c) {
  auto gone = [](const TcpEnd& e) {
    return e.phase_ == Phase::kClosed || e.phase_ == Phase::kIdle;
  };
  if (!gone(*c.end[0]) || !gone(*c.end[1])) return;
  clear_direction(c.dir[0]);
  clear_direction(c.dir[1]);
  conns_.erase(c.id);
}

void Fabric::clear_direction(Direction& d) {
  d.inflight.clear();
  d.window_used = 0;
  if (d.armed) d.timer.cancel();
  d.armed = false;
  d.stalled = false;
  if (d.stall_armed) d.stall_timer.cancel();
  d.stall_armed = false;
  d.gap_next = false;
}

std::shared_ptr<SimServer> Fabric::tcp_listen(HostId host_id, ProtocolFactory factory,
                                              const std::vector<AddrInfo>& infos, int port,
                                              const ServerOptions& options) {
  Host& h = hosts_[host_id];
  for (const auto& info : infos) {
    if (!owns(host_id, info.address.host)) {
      throw_os_error(EADDRNOTAVAIL, absl::StrCat("error while attempting to bind on address ",
                                                 py_addr(info.address)));
    }
  }
  const int p = port != 0 ? port : pick_port(h, true);
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
  auto server =
      std::make_shared<SimServer>(loop_, host_id, std::move(factory), addrs, loop_.current_group());
  attach(server.get());
  for (const auto& a : addrs) {
    h.listeners.push_back(Host::Listener{a, options.reuse_port, server});
    ++h.tcp_ports[p];
  }
  if (options.start_serving) server->start_serving();
  return server;
}

void Fabric::tcp_unlisten(SimServer& server) {
  Host& h = hosts_[server.host_];
  std::vector<std::shared_ptr<SimServer>> released;
  for (auto it = h.listeners.begin(); it != h.listeners.end();) {
    if (it->server.get() == &server) {
      auto pit = h.tcp_ports.find(it->address.port);
      if (pit != h.tcp_ports.end() && --pit->second <= 0) h.tcp_ports.erase(pit);
      released.push_back(std::move(it->server));
      it = h.listeners.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace weft::sim::net_internal
