#include "runtime/io/internal/stream_server.h"

#include <errno.h>

#include <algorithm>
#include <utility>

#include "runtime/errors.h"
#include "runtime/io/internal/stream_transport.h"
#include "runtime/io/os_error.h"

namespace weft::io_internal {

StreamServer::StreamServer(EventLoop& loop, ProtocolFactory factory,
                           std::vector<std::shared_ptr<Listener>> listeners, int backlog)
    : loop_(loop),
      factory_(std::move(factory)),
      listeners_(std::move(listeners)),
      // Accepts per readiness event. asyncio uses the backlog as is, so a backlog of 0 (or less)
      // would never accept; weft accepts at least one.
      backlog_(std::max(1, backlog)),
      group_(loop.current_group()) {
  for (size_t i = 0; i < listeners_.size(); ++i) {
    addresses_.push_back(listeners_[i]->address());
    watches_.push_back(std::make_unique<Watch>(this, i));
    listeners_[i]->set_events(watches_[i].get());
  }
}

StreamServer::~StreamServer() {
  for (auto& l : listeners_) {
    l->set_events(nullptr);
    l->close();
  }
}

std::vector<SocketAddress> StreamServer::sockets() const {
  return closed_ ? std::vector<SocketAddress>{} : addresses_;
}

void StreamServer::close() {
  if (closed_) return;
  auto self = shared_from_this();
  closed_ = true;
  serving_ = false;
  for (auto& l : listeners_) {
    l->set_events(nullptr);
    l->close();
  }
  if (serving_forever_ && !serving_forever_->done()) serving_forever_->cancel();
  serving_forever_.reset();
  if (active_ == 0) wakeup();
}

Task<void> StreamServer::wait_closed() {
  if (woken_) co_return;
  Future<void> waiter(loop_);
  waiters_.push_back(waiter);
  co_await waiter;
}

Task<void> StreamServer::serve_forever() {
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

void StreamServer::start_serving() {
  if (serving_ || closed_) return;
  serving_ = true;
  for (auto& l : listeners_) l->want_accept(true);
}

void StreamServer::accept_ready(size_t index) {
  auto self = shared_from_this();
  EventLoop::GroupScope group(loop_, group_);
  for (int i = 0; i < backlog_ && serving_ && !closed_; ++i) {
    int err = 0;
    std::shared_ptr<StreamSocket> socket = listeners_[index]->accept(err);
    if (!socket) {
      if (err == EAGAIN || err == EINTR || err == ECONNABORTED) return;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Out of descriptors: stop accepting for a second, as asyncio does.
        loop_.call_exception_handler(
            {"socket.accept() out of system resource", make_os_error(err, "accept"), {}});
        for (auto& l : listeners_) l->want_accept(false);
        serving_ = false;
        loop_.call_later(1.0, [self] { self->start_serving(); });
        return;
      }
      loop_.call_exception_handler({"socket.accept() failed", make_os_error(err, "accept"), {}});
      return;
    }
    if (LoopObserver* o = loop_.observer()) {
      o->on_connection_accepted(listeners_[index]->id(), socket->id(),
                                socket->peer_address().to_string());
    }
    std::shared_ptr<Protocol> protocol;
    try {
      protocol = factory_();
    } catch (...) {
      loop_.call_exception_handler(
          {"Error on transport creation for incoming connection", std::current_exception(), {}});
      if (LoopObserver* o = loop_.observer()) o->on_connection_closed(socket->id(), ECONNABORTED);
      socket->close(/*reset=*/true);
      continue;
    }
    ++active_;
    std::weak_ptr<StreamServer> weak = self;
    auto transport = std::make_shared<StreamTransport>(loop_, std::move(socket),
                                                       std::move(protocol), [weak] {
                                                         if (auto s = weak.lock()) {
                                                           s->connection_lost();
                                                         }
                                                       });
    transport->start();
  }
}

void StreamServer::abandoned(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  // The loop closed or the host crashed: closed without waking anyone or resetting anything.
  if (auto self = weak_from_this().lock()) graveyard.push_back(std::move(self));
  closed_ = true;
  serving_ = false;
  for (auto& l : listeners_) l->set_events(nullptr);
  graveyard.push_back(std::make_shared<ProtocolFactory>(std::move(factory_)));
  factory_ = nullptr;
  for (auto& w : waiters_) graveyard.push_back(std::make_shared<Future<void>>(std::move(w)));
  waiters_.clear();
  if (serving_forever_) {
    graveyard.push_back(std::make_shared<Future<void>>(std::move(*serving_forever_)));
    serving_forever_.reset();
  }
}

void StreamServer::connection_lost() {
  if (active_ > 0) --active_;
  if (active_ == 0 && closed_) wakeup();
}

void StreamServer::wakeup() {
  woken_ = true;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    if (!w.done()) w.set_result();
  }
}

}  // namespace weft::io_internal
