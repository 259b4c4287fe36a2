#include "runtime/epoll/epoll_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/epoll/epoll_network.h"
#include "runtime/epoll/epoll_process.h"
#include "runtime/epoll/thread_pool_executor.h"

namespace weft {
namespace {
[[noreturn]] void fail(const char* what) {
  throw OSError(errno, absl::StrCat("EpollLoop: ", what, ": ", std::strerror(errno)));
}

uint64_t os_seed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(getpid()) << 32);
  }
  return seed;
}

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The real world's clock as a Clock, for WorldHooks.clock to wrap.
class MonotonicClock final : public Clock {
 public:
  int64_t now_ns() override { return monotonic_ns(); }
};

}  // namespace

// A level-triggered fd callback: unlike a Handle it may run many times.
class EpollLoop::FdCallback final : public internal::Runnable {
 public:
  FdCallback(absl::AnyInvocable<void()> fn, uint64_t resource)
      : fn_(std::move(fn)), resource_(resource) {}
  void run(std::coroutine_handle<>) override {
    if (active_) fn_();
  }
  void deactivate() { active_ = false; }
  uint64_t resource() const { return resource_; }

 private:
  absl::AnyInvocable<void()> fn_;
  uint64_t resource_;
  bool active_ = true;
};

EpollLoop::OsRandom::OsRandom() : rng_(os_seed()) {}

EpollLoop::Resource::Resource(EpollLoop& loop) : id_(loop.next_resource_id()) {
  if (loop.is_closed()) return;
  owner_ = &loop;
  next_ = loop.resources_;
  if (next_) next_->prev_ = this;
  loop.resources_ = this;
}

EpollLoop::Resource::~Resource() {
  if (owner_) owner_->untrack(this);
}

void EpollLoop::untrack(Resource* r) noexcept {
  if (r->prev_) r->prev_->next_ = r->next_; else resources_ = r->next_;
  if (r->next_) r->next_->prev_ = r->prev_;
  r->owner_ = nullptr;
  r->prev_ = r->next_ = nullptr;
}

EpollLoop::EpollLoop(WorldHooks hooks)
    : services_({
          .network = [this] { return std::make_shared<EpollNetwork>(*this); },
          .processes =
              [this] {
                own_processes_ = std::make_shared<EpollProcessService>(*this);
                return own_processes_;
              },
          .executor = [this] { return std::make_shared<ThreadPoolExecutor>(*this); },
      }) {
  clock_ = hook_clock(hooks, [] { return std::make_shared<MonotonicClock>(); });
  services_.set_hooks(std::move(hooks));
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) fail("epoll_create1");
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) {
    ::close(epfd_);
    fail("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wakefd_;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) fail("epoll_ctl(eventfd)");
}

EpollLoop::~EpollLoop() {
  if (!is_closed()) close();
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

NetworkService* EpollLoop::network_service() {
  return is_closed() ? nullptr : services_.network();
}

ProcessService* EpollLoop::process_service() {
  return is_closed() ? nullptr : services_.processes();
}

ExecutorService* EpollLoop::executor_service() {
  return is_closed() ? nullptr : services_.executor();
}

void EpollLoop::set_world_hooks(WorldHooks hooks) {
  if (is_running()) throw RuntimeError("set_world_hooks: the event loop is running");
  WorldHooks clock_only;
  clock_only.clock = hooks.clock;
  services_.set_hooks(std::move(hooks));  // checks closed / services in use first
  clock_ = hook_clock(clock_only,
                      [] { return std::make_shared<MonotonicClock>(); });
}

void EpollLoop::shutdown_default_executor() { services_.shutdown_executor(); }

void EpollLoop::on_close() {
  // Children first (their reapers may use the loop), then the pool (its completions go through
  // threadsafe_, dropped below), then every fd watch, then the fds user code may still hold.
  if (own_processes_) own_processes_->close();
  shutdown_default_executor();
  for (auto& [fd, w] : watches_) {
    if (w.reader) w.reader->deactivate();
    if (w.writer) w.writer->deactivate();
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  watches_.clear();
  // Then what user code may still hold: each abandon() may destroy others (a protocol holding
  // the last reference to another transport), which unlink themselves, so take the head anew.
  while (Resource* r = resources_) {
    untrack(r);
    r->abandon();
  }
  {
    std::lock_guard lock(mu_);
    threadsafe_.clear();
  }
  // Last: a decorator may hold the world's own services, released above.
  services_.close();
}


int64_t EpollLoop::now_ns() const {
  if (clock_) [[unlikely]] return clock_->now_ns();
  return monotonic_ns();
}

void EpollLoop::call_soon_threadsafe(absl::AnyInvocable<void()> fn) {
  {
    std::lock_guard lock(mu_);
    threadsafe_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] ssize_t n = ::write(wakefd_, &one, sizeof(one));
}

void EpollLoop::update(int fd, Watch& w) {
  uint32_t events = (w.reader ? uint32_t{EPOLLIN} : 0u) | (w.writer ? uint32_t{EPOLLOUT} : 0u);
  if (events == w.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  int op = w.events == 0 ? EPOLL_CTL_ADD : (events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
  if (epoll_ctl(epfd_, op, fd, &ev) < 0) fail(absl::StrCat("epoll_ctl fd ", fd).c_str());
  w.events = events;
}

void EpollLoop::add_reader(int fd, absl::AnyInvocable<void()> fn, uint64_t resource) {
  check_open("add_reader");
  Watch& w = watches_[fd];
  if (w.reader) w.reader->deactivate();
  w.reader = internal::make_ref<FdCallback>(std::move(fn), resource);
  update(fd, w);
}

bool EpollLoop::remove_reader(int fd) {
  check_thread("remove_reader");
  auto it = watches_.find(fd);
  if (it == watches_.end() || !it->second.reader) return false;
  it->second.reader->deactivate();
  it->second.reader = nullptr;
  update(fd, it->second);
  if (!it->second.writer) watches_.erase(it);
  return true;
}

void EpollLoop::add_writer(int fd, absl::AnyInvocable<void()> fn, uint64_t resource) {
  check_open("add_writer");
  Watch& w = watches_[fd];
  if (w.writer) w.writer->deactivate();
  w.writer = internal::make_ref<FdCallback>(std::move(fn), resource);
  update(fd, w);
}

bool EpollLoop::remove_writer(int fd) {
  check_thread("remove_writer");
  auto it = watches_.find(fd);
  if (it == watches_.end() || !it->second.writer) return false;
  it->second.writer->deactivate();
  it->second.writer = nullptr;
  update(fd, it->second);
  if (!it->second.reader) watches_.erase(it);
  return true;
}

void EpollLoop::poll(int64_t timeout_ns) {
  int timeout_ms = -1;
  if (timeout_ns >= 0) {
    int64_t ms = (timeout_ns + 999'999) / 1'000'000;
    timeout_ms = ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }
  epoll_event events[128];
  int n;
  do {
    n = epoll_wait(epfd_, events, 128, timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail("epoll_wait");
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    const uint32_t ev = events[i].events;
    if (fd == wakefd_) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(wakefd_, &count, sizeof(count));
      std::vector<absl::AnyInvocable<void()>> batch;
      {
        std::lock_guard lock(mu_);
        batch.swap(threadsafe_);
      }
      for (auto& fn : batch) call_soon(std::move(fn));
      continue;
    }
    auto it = watches_.find(fd);
    if (it == watches_.end()) continue;
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && it->second.reader) {
      schedule(it->second.reader.get(), {}, it->second.reader->resource());
    }
    if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && it->second.writer) {
      schedule(it->second.writer.get(), {}, it->second.writer->resource());
    }
  }
}

}  // namespace weft
