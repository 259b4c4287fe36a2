#include "sim/proc/pipes.h"

#include <errno.h>

#include <algorithm>
#include <utility>

#include "sim/sim_loop.h"

namespace weft::sim::proc_internal {

void call_soon_if_open(SimLoop& loop, std::function<void()> fn, uint64_t resource) {
  if (!loop.is_closed()) loop.call_soon_for(resource, std::move(fn));
}

// ---- Pipe ----

size_t Pipe::push(std::string_view data) {
  if (read_closed_ || write_closed_) return 0;
  const size_t n = std::min(space(), data.size());
  if (n == 0) return 0;
  buffer_.append(data.substr(0, n));
  notify(on_readable_);
  return n;
}

void Pipe::push_all(std::string_view data) {
  if (read_closed_ || write_closed_ || data.empty()) return;
  buffer_.append(data);
  notify(on_readable_);
}

void Pipe::close_write() {
  if (write_closed_) return;
  write_closed_ = true;
  notify(on_readable_);
}

std::string Pipe::take(size_t n) {
  n = std::min(n, size());
  std::string out = buffer_.substr(offset_, n);
  offset_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= 64 * 1024 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  if (n > 0) notify(on_writable_);
  return out;
}

void Pipe::close_read() {
  if (read_closed_) return;
  read_closed_ = true;
  buffer_.clear();
  offset_ = 0;
  notify(on_writable_);
}

// ---- PipeSocket ----

PipeSocket::PipeSocket(SimLoop& loop, std::shared_ptr<Pipe> pipe, Kind kind, uint64_t resource)
    : loop_(loop), pipe_(std::move(pipe)), kind_(kind), resource_(resource) {}

std::shared_ptr<PipeSocket> PipeSocket::make(SimLoop& loop, std::shared_ptr<Pipe> pipe, Kind kind,
                                             uint64_t resource) {
  auto socket = std::make_shared<PipeSocket>(loop, std::move(pipe), kind, resource);
  socket->attach();
  return socket;
}

void PipeSocket::attach() {
  std::weak_ptr<PipeSocket> weak = weak_from_this();
  auto notify = [weak] {
    if (auto self = weak.lock()) {
      if ((self->want_read_ && self->readable()) || (self->want_write_ && self->writable())) {
        self->schedule_kick();
      }
    }
  };
  // A pipe has one reader and one writer: each end takes the notification meant for it.
  if (kind_ == Kind::kReadPipe) {
    pipe_->set_on_readable(notify);
  } else {
    pipe_->set_on_writable(notify);
  }
}

bool PipeSocket::readable() const {
  if (closed_) return false;
  if (kind_ == Kind::kWritePipe) return pipe_->read_closed();  // the reader went away
  return pipe_->size() > 0 || pipe_->write_closed();
}

bool PipeSocket::writable() const {
  if (closed_ || kind_ != Kind::kWritePipe) return false;
  return pipe_->read_closed() || pipe_->space() > 0;
}

void PipeSocket::want_read(bool on) {
  want_read_ = on;
  if (on && readable()) schedule_kick();
}

void PipeSocket::want_write(bool on) {
  want_write_ = on;
  if (on && writable()) schedule_kick();
}

void PipeSocket::schedule_kick() {
  if (kick_scheduled_ || !events_ || closed_ || loop_.is_closed()) return;
  kick_scheduled_ = true;
  loop_.call_soon_for(resource_, [self = shared_from_this()] { self->kick(); });
}

void PipeSocket::kick() {
  kick_scheduled_ = false;
  if (events_ && want_read_ && readable()) events_->on_readable();
  if (events_ && want_write_ && writable()) events_->on_writable();
  // Level-triggered: what is still ready runs again on a later iteration.
  if ((want_read_ && readable()) || (want_write_ && writable())) schedule_kick();
}

IoResult PipeSocket::read(std::string& into) {
  if (closed_ || kind_ != Kind::kReadPipe) return {.err = EBADF};
  const size_t n = pipe_->size();
  if (n > 0) {
    // A partial read: choice 0 takes everything buffered, k takes k bytes.
    const uint64_t c = loop_.choose(ChoiceKind::kLatency, n);
    into = pipe_->take(c == 0 ? n : static_cast<size_t>(c));
    return {.bytes = into.size()};
  }
  if (pipe_->write_closed()) return {};  // EOF
  return {.err = EAGAIN};
}

IoResult PipeSocket::write(std::string_view data) {
  if (closed_ || kind_ != Kind::kWritePipe) return {.err = EBADF};
  if (pipe_->read_closed()) return {.err = EPIPE};
  const size_t n = pipe_->push(data);
  if (n == 0 && !data.empty()) return {.err = EAGAIN};
  return {.bytes = n};
}

void PipeSocket::close(bool) {
  if (closed_) return;
  closed_ = true;
  events_ = nullptr;
  want_read_ = want_write_ = false;
  // The program sees EOF on its stdin / its writes fail with EPIPE.
  if (kind_ == Kind::kReadPipe) {
    pipe_->close_read();
  } else {
    pipe_->close_write();
  }
}

void PipeSocket::vanish(std::vector<std::shared_ptr<void>>& graveyard) noexcept {
  want_read_ = want_write_ = false;
  if (Events* events = std::exchange(events_, nullptr)) events->on_abandoned(graveyard);
}

}  // namespace weft::sim::proc_internal
