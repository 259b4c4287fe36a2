#include "runtime/io/internal/datagram_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/internal/write_limits.h"
#include "runtime/io/os_error.h"

namespace weft::io_internal {
namespace {

std::string py_addr(const SocketAddress& a) {
  return absl::StrCat("('", a.host, "', ", a.port, ")");
}

// The family of a numeric host, or AF_UNSPEC when it is not one (asyncio would resolve a name
// here, blocking the loop; weft asks for the address getaddrinfo gave).
int numeric_family(const std::string& host) {
  in6_addr buf;
  if (inet_pton(AF_INET, host.c_str(), &buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, host.c_str(), &buf) == 1) return AF_INET6;
  return AF_UNSPEC;
}

}  // namespace

SocketDatagramTransport::SocketDatagramTransport(EventLoop& loop,
                                                 std::shared_ptr<DatagramSocket> socket,
                                                 std::shared_ptr<DatagramProtocol> protocol)
    : loop_(loop),
      socket_(std::move(socket)),
      resource_(socket_->id()),
      group_(loop.current_group()),
      protocol_(std::move(protocol)),
      sock_(socket_->local_address()),
      peer_(socket_->peer_address()) {
  socket_->set_events(this);
}

SocketDatagramTransport::~SocketDatagramTransport() {
  // Only reached once nothing in the loop refers to us (or the loop is closing): release the
  // socket, call nobody.
  socket_->set_events(nullptr);
  if (live_) socket_->close();
}

void SocketDatagramTransport::on_abandoned(
    std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  // The protocol may hold the last reference to us: both go to the graveyard.
  if (auto self = weak_from_this().lock()) graveyard.push_back(std::move(self));
  live_ = false;  // the world released the socket
  closing_ = true;
  ++conn_lost_;  // later sends are dropped, as after close()
  reading_ = writing_ = false;
  buffer_.clear();
  buffer_size_ = 0;
  if (self_) graveyard.push_back(std::move(self_));
  self_ = nullptr;
  if (protocol_) graveyard.push_back(std::move(protocol_));
  protocol_ = nullptr;
}

void SocketDatagramTransport::report(const char* what) {
  loop_.call_exception_handler({what, std::current_exception(), {}});
}

void SocketDatagramTransport::start(Future<void> waiter) {
  auto self = shared_from_this();
  // The loop holds an open transport (asyncio's selector does): an endpoint whose user kept no
  // reference still receives, sends and closes.
  self_ = self;
  // The opening task wakes with the endpoint's id.
  waiter.core()->set_resource_id(resource_);
  loop_.call_soon_for(resource_, [self, waiter]() mutable {
    if (self->protocol_) {
      self->protocol_connected_ = true;
      try {
        EventLoop::GroupScope group(self->loop_, self->group_);
        self->protocol_->connection_made(self);
      } catch (...) {
        // asyncio reports it as a failed callback and goes on: reading starts, the waiter
        // completes.
        self->report("Exception in callback protocol.connection_made()");
      }
      if (!self->closing_ && self->live_) {
        self->socket_->want_read(true);
        self->reading_ = true;
      }
    }
    if (!waiter.done()) waiter.set_result();
  });
}

ExtraInfo SocketDatagramTransport::get_extra_info(std::string_view name) const {
  if (name == "sockname") return sock_;
  if (name == "peername") return peer_ ? ExtraInfo(*peer_) : ExtraInfo(std::monostate{});
  if (!live_) return std::monostate{};
  return socket_->extra_info(name);
}

void SocketDatagramTransport::observe(IoDirection direction,
                                      const std::optional<SocketAddress>& peer,
                                      std::string_view data) {
  if (LoopObserver* o = loop_.observer()) {
    const std::string text = peer ? peer->to_string() : std::string();
    o->on_datagram(resource_, direction, text, data);
  }
}

void SocketDatagramTransport::error_received(int err, const char* call,
                                             const std::optional<SocketAddress>& peer) {
  if (!protocol_) return;
  std::exception_ptr exc = make_os_error(err, call, peer ? peer->to_string() : std::string());
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->error_received(std::move(exc));
  } catch (...) {
    // asyncio lets it escape to the loop, which reports it; the endpoint stays open.
    report("Exception in callback protocol.error_received()");
  }
}

void SocketDatagramTransport::sendto(std::string_view data, std::optional<SocketAddress> addr) {
  if (peer_) {
    if (addr && !(addr->host == peer_->host && addr->port == peer_->port)) {
      throw ValueError(absl::StrCat("Invalid address: must be None or ", py_addr(*peer_)));
    }
    addr.reset();  // to the connected peer: send(), not sendto()
  } else {
    if (!addr) throw ValueError("sendto: no address and the endpoint is not connected");
    const int family = numeric_family(addr->host);
    if (family == AF_UNSPEC) {
      throw ValueError(absl::StrCat("sendto: not a numeric address: ", addr->host));
    }
    addr->family = family;
  }
  if (conn_lost_ || !live_) {
    ++conn_lost_;
    return;
  }
  const std::optional<SocketAddress>& to = addr ? addr : peer_;
  if (buffer_.empty()) {
    const IoResult r = socket_->send(data, addr);
    if (r.err == 0) {
      observe(IoDirection::kOut, to, data);
      return;
    }
    if (!r.would_block() && r.err != EINTR) {
      error_received(r.err, "sendto", to);
      return;
    }
    socket_->want_write(true);
    writing_ = true;
  }
  buffer_.push_back({std::string(data), std::move(addr)});
  buffer_size_ += data.size() + kHeaderSize;
  maybe_pause_protocol();
}

void SocketDatagramTransport::on_readable() {
  if (!live_ || conn_lost_ || !protocol_) return;
  std::string data;
  SocketAddress from;
  const IoResult r = socket_->receive(data, from);
  if (r.err != 0) {
    if (r.would_block() || r.err == EINTR) return;
    error_received(r.err, "recvfrom", peer_);
    return;
  }
  observe(IoDirection::kIn, from, data);
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->datagram_received(std::move(data), std::move(from));
  } catch (...) {
    // asyncio lets it escape to the loop, which reports it; the endpoint stays open.
    report("Exception in callback protocol.datagram_received()");
  }
}

void SocketDatagramTransport::on_writable() {
  if (!live_ || conn_lost_) return;
  auto self = shared_from_this();  // an error_received may drop the user's last reference
  while (!buffer_.empty()) {
    const IoResult r = socket_->send(buffer_.front().data, buffer_.front().to);
    if (r.would_block() || r.err == EINTR) return;  // still full: on_writable runs again
    Pending sent = std::move(buffer_.front());
    buffer_.pop_front();
    buffer_size_ -= sent.data.size() + kHeaderSize;
    const std::optional<SocketAddress>& to = sent.to ? sent.to : peer_;
    if (r.err != 0) {
      // As asyncio: the datagram is dropped, the protocol told; the rest goes on the next
      // readiness callback.
      error_received(r.err, "sendto", to);
      return;
    }
    observe(IoDirection::kOut, to, sent.data);
  }
  maybe_resume_protocol();
  if (buffer_.empty() && writing_) {
    if (live_) socket_->want_write(false);
    writing_ = false;
    if (closing_ && !conn_lost_) {
      ++conn_lost_;
      call_connection_lost(nullptr);
    }
  }
}

void SocketDatagramTransport::set_write_buffer_limits(std::optional<long> high,
                                                      std::optional<long> low) {
  const WriteLimits limits = resolve_write_buffer_limits(high, low);
  high_ = limits.high;
  low_ = limits.low;
  maybe_pause_protocol();
}

void SocketDatagramTransport::maybe_pause_protocol() {
  if (buffer_size_ <= high_ || protocol_paused_ || !protocol_) return;
  protocol_paused_ = true;
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->pause_writing();
  } catch (...) {
    report("protocol.pause_writing() failed");
  }
}

void SocketDatagramTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || buffer_size_ > low_ || !protocol_) return;
  protocol_paused_ = false;
  EventLoop::GroupScope group(loop_, group_);
  try {
    protocol_->resume_writing();
  } catch (...) {
    report("protocol.resume_writing() failed");
  }
}

void SocketDatagramTransport::close() {
  if (closing_) return;
  closing_ = true;
  if (reading_ && live_) socket_->want_read(false);
  reading_ = false;
  if (buffer_.empty()) {
    ++conn_lost_;
    loop_.call_soon_for(resource_,
                        [self = shared_from_this()] { self->call_connection_lost(nullptr); });
  }
}

void SocketDatagramTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  buffer_.clear();
  buffer_size_ = 0;
  if (writing_ && live_) socket_->want_write(false);
  writing_ = false;
  if (reading_ && live_) socket_->want_read(false);
  reading_ = false;
  closing_ = true;
  ++conn_lost_;
  loop_.call_soon_for(resource_,
                      [self = shared_from_this(), exc] { self->call_connection_lost(exc); });
}

void SocketDatagramTransport::call_connection_lost(std::exception_ptr exc) {
  if (!live_) return;
  auto self = std::move(self_);  // destroyed last, after the protocol
  auto protocol = std::move(protocol_);
  protocol_ = nullptr;
  reading_ = writing_ = false;
  if (protocol_connected_ && protocol) {
    EventLoop::GroupScope group(loop_, group_);
    try {
      protocol->connection_lost(std::move(exc));
    } catch (...) {
      report("Exception in callback protocol.connection_lost()");
    }
  }
  // As asyncio: the socket closes after connection_lost (its port stays bound until then).
  live_ = false;
  socket_->close();
}

}  // namespace weft::io_internal
