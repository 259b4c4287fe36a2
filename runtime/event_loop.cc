#include "runtime/event_loop.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "runtime/task_handle.h"

namespace weft {
namespace internal {
constinit thread_local EventLoop* t_running_loop = nullptr;
}  // namespace internal

namespace {
using internal::t_running_loop;

// A delay or a loop time in nanoseconds, clamped to +-INT64_MAX/4 so that adding a clamped delay
// to the clock cannot overflow. A past (negative) value is kept as it is: asyncio orders past
// deadlines among themselves, and the loop treats every deadline <= now as due.
constexpr int64_t kFarNs = INT64_MAX / 4;
int64_t seconds_to_ns(double s) {
  if (std::isnan(s)) return 0;  // NaN would poison the heap order: treat it as "now"
  if (s >= 2.3e9) return kFarNs;
  if (s <= -2.3e9) return -kFarNs;
  return static_cast<int64_t>(std::llround(s * 1e9));
}
int64_t clamp_ns(int64_t ns) { return std::clamp<int64_t>(ns, -kFarNs, kFarNs); }
}  // namespace

EventLoop& get_running_loop() {
  if (!t_running_loop) throw RuntimeError("no running event loop");
  return *t_running_loop;
}

EventLoop* running_loop_or_null() { return t_running_loop; }

namespace internal {
RunningLoopScope::RunningLoopScope(EventLoop* loop) : previous_(t_running_loop) {
  t_running_loop = loop;
}
RunningLoopScope::~RunningLoopScope() { t_running_loop = previous_; }
}  // namespace internal

// Forwards each event to the world's observer, then to every added one in order. Only installed
// while some observer was added, so a loop without one pays a null check and nothing more.
// Indexing (not iterators) keeps a push_back during an event from invalidating the walk.
class EventLoop::Fanout final : public LoopObserver {
 public:
  explicit Fanout(EventLoop* loop) : loop_(loop) {}

  template <class F>
  void each(F&& f) {
    if (loop_->world_observer_) f(*loop_->world_observer_);
    for (size_t i = 0; i < loop_->observers_.size(); ++i) f(*loop_->observers_[i]);
  }
  void on_task_created(uint64_t id, std::string_view name) override {
    each([&](LoopObserver& o) { o.on_task_created(id, name); });
  }
  void on_task_step(uint64_t id, uint64_t resource) override {
    each([&](LoopObserver& o) { o.on_task_step(id, resource); });
  }
  void on_task_done(uint64_t id, TaskOutcome outcome) override {
    each([&](LoopObserver& o) { o.on_task_done(id, outcome); });
  }
  void on_callback(uint64_t id) override {
    each([&](LoopObserver& o) { o.on_callback(id); });
  }
  void on_timer_armed(uint64_t id, int64_t when_ns) override {
    each([&](LoopObserver& o) { o.on_timer_armed(id, when_ns); });
  }
  void on_timer_fired(uint64_t id, int64_t when_ns) override {
    each([&](LoopObserver& o) { o.on_timer_fired(id, when_ns); });
  }
  void on_timer_cancelled(uint64_t id) override {
    each([&](LoopObserver& o) { o.on_timer_cancelled(id); });
  }
  void on_connection_opened(uint64_t c, std::string_view local, std::string_view peer) override {
    each([&](LoopObserver& o) { o.on_connection_opened(c, local, peer); });
  }
  void on_connection_accepted(uint64_t l, uint64_t c, std::string_view peer) override {
    each([&](LoopObserver& o) { o.on_connection_accepted(l, c, peer); });
  }
  void on_connection_closed(uint64_t c, int error) override {
    each([&](LoopObserver& o) { o.on_connection_closed(c, error); });
  }
  void on_bytes(uint64_t c, IoDirection d, std::string_view data) override {
    each([&](LoopObserver& o) { o.on_bytes(c, d, data); });
  }
  void on_datagram(uint64_t e, IoDirection d, std::string_view peer,
                   std::string_view data) override {
    each([&](LoopObserver& o) { o.on_datagram(e, d, peer, data); });
  }
  void on_process_spawned(uint64_t p, const std::vector<std::string>& argv) override {
    each([&](LoopObserver& o) { o.on_process_spawned(p, argv); });
  }
  void on_process_io(uint64_t p, int fd, IoDirection d, std::string_view data) override {
    each([&](LoopObserver& o) { o.on_process_io(p, fd, d, data); });
  }
  void on_process_exited(uint64_t p, int returncode) override {
    each([&](LoopObserver& o) { o.on_process_exited(p, returncode); });
  }
  void on_executor_submitted(uint64_t job) override {
    each([&](LoopObserver& o) { o.on_executor_submitted(job); });
  }
  void on_executor_completed(uint64_t job) override {
    each([&](LoopObserver& o) { o.on_executor_completed(job); });
  }
  void on_fault(FaultKind kind, uint64_t subject, std::string_view detail) override {
    each([&](LoopObserver& o) { o.on_fault(kind, subject, detail); });
  }

 private:
  EventLoop* loop_;
};

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() {
  // Subclasses close before their own members go; this catches a base-only path.
  if (!closed_ && !running_) close();
}

void EventLoop::throw_closed() { throw RuntimeError("Event loop is closed"); }

void EventLoop::throw_wrong_thread(const char* object, const char* method) const {
  std::ostringstream out;
  out << std::hex << std::showbase << object << "." << method << " called from thread "
      << std::this_thread::get_id() << " but the loop runs on thread " << owner_thread_ << "; "
      << cross_thread_advice();
  throw RuntimeError(out.str());
}

void EventLoop::add_observer(LoopObserver* observer) {
  check_thread("add_observer");
  if (!observer) throw ValueError("add_observer: the observer is null");
  if (std::find(observers_.begin(), observers_.end(), observer) != observers_.end()) {
    throw ValueError("add_observer: this observer was already added to the loop");
  }
  observers_.push_back(observer);
  update_observer();
}

bool EventLoop::remove_observer(LoopObserver* observer) {
  check_thread("remove_observer");
  auto it = std::find(observers_.begin(), observers_.end(), observer);
  if (it == observers_.end()) return false;
  observers_.erase(it);
  update_observer();
  return true;
}

void EventLoop::set_world_observer(LoopObserver* observer) {
  world_observer_ = observer;
  update_observer();
}

void EventLoop::update_observer() {
  if (observers_.empty()) {
    observer_ = world_observer_;
    return;
  }
  if (!fanout_) fanout_ = std::make_unique<Fanout>(this);
  observer_ = fanout_.get();
}

void EventLoop::schedule(internal::Runnable* r, std::coroutine_handle<> h, uint64_t resource) {
  r->add_ref();
  ready_.push_back(ReadyEntry{r, h, resource});
}

Handle EventLoop::call_soon(absl::AnyInvocable<void()> fn) {
  check_open("call_soon");
  auto cb = internal::make_ref<internal::CallbackState>(std::move(fn));
  cb->seq = ++callback_ids_;
  schedule(cb.get());
  return Handle(std::move(cb));
}

Handle EventLoop::call_soon_for(uint64_t resource, absl::AnyInvocable<void()> fn) {
  check_open("call_soon");
  auto cb = internal::make_ref<internal::CallbackState>(std::move(fn));
  cb->seq = ++callback_ids_;
  schedule(cb.get(), {}, resource);
  return Handle(std::move(cb));
}

TimerHandle EventLoop::call_at_ns_for(uint64_t resource, int64_t when_ns,
                                      absl::AnyInvocable<void()> fn) {
  check_open("call_at_ns");
  return push_callback_timer(when_ns, std::move(fn), resource);
}

void EventLoop::call_soon_threadsafe(absl::AnyInvocable<void()> fn) { call_soon(std::move(fn)); }

TimerHandle EventLoop::call_later(double delay, absl::AnyInvocable<void()> fn) {
  check_open("call_later");
  return push_callback_timer(now_ns() + seconds_to_ns(delay), std::move(fn));
}

TimerHandle EventLoop::call_later(std::chrono::nanoseconds delay, absl::AnyInvocable<void()> fn) {
  check_open("call_later");
  return push_callback_timer(now_ns() + clamp_ns(delay.count()), std::move(fn));
}

TimerHandle EventLoop::call_at(double when, absl::AnyInvocable<void()> fn) {
  check_open("call_at");
  return push_callback_timer(seconds_to_ns(when), std::move(fn));
}

TimerHandle EventLoop::call_at_ns(int64_t when_ns, absl::AnyInvocable<void()> fn) {
  check_open("call_at_ns");
  return push_callback_timer(when_ns, std::move(fn));
}

TimerHandle EventLoop::push_callback_timer(int64_t when_ns, absl::AnyInvocable<void()> fn,
                                           uint64_t resource) {
  auto cb = internal::make_ref<internal::CallbackState>(std::move(fn));
  cb->seq = ++callback_ids_;
  cb->resource = resource ? resource : next_resource_id();
  cb->when_ns = when_ns;
  cb->loop = this;
  push_timer(cb.get(), cb->when_ns, cb->seq);
  return TimerHandle(std::move(cb));
}

void EventLoop::arm_timer(internal::TimerFuture* f) {
  check_open("arm_timer");
  f->seq_ = ++callback_ids_;
  f->set_resource_id(next_resource_id());
  push_timer(f, f->when_ns_, f->seq_);
}

uint64_t EventLoop::timer_resource(internal::Runnable* timer) {
  if (timer->kind() == internal::Runnable::Kind::kCallback) {
    return static_cast<internal::CallbackState*>(timer)->resource;
  }
  return static_cast<internal::TimerFuture*>(timer)->resource_id();
}

bool EventLoop::timer_dead(const internal::Runnable* timer) {
  if (timer->kind() == internal::Runnable::Kind::kCallback) {
    return static_cast<const internal::CallbackState*>(timer)->cancelled();
  }
  return static_cast<const internal::TimerFuture*>(timer)->disarmed();
}

void EventLoop::set_in_heap(internal::Runnable* timer, bool in_heap) {
  if (timer->kind() == internal::Runnable::Kind::kCallback) {
    static_cast<internal::CallbackState*>(timer)->in_heap = in_heap;
  } else {
    static_cast<internal::TimerFuture*>(timer)->in_heap_ = in_heap;
  }
}

void EventLoop::push_timer(internal::Runnable* timer, int64_t when_ns, uint64_t seq) {
  if (observer_) observer_->on_timer_armed(seq, when_ns);
  timer->add_ref();
  set_in_heap(timer, true);
  timers_.push_back(TimerEntry{when_ns, seq, timer});
  std::push_heap(timers_.begin(), timers_.end(), TimerLater{});
}

void EventLoop::pop_timer() {
  std::pop_heap(timers_.begin(), timers_.end(), TimerLater{});
  internal::Runnable* timer = timers_.back().timer;
  timers_.pop_back();
  set_in_heap(timer, false);
  if (timer_dead(timer) && cancelled_timers_ > 0) --cancelled_timers_;
  timer->release();
}

void EventLoop::note_timer_cancelled(uint64_t id) {
  if (observer_) observer_->on_timer_cancelled(id);
  ++cancelled_timers_;
  // As asyncio: rebuild the heap once most of it is cancelled, so memory stays bounded.
  if (cancelled_timers_ > 64 && cancelled_timers_ * 2 > timers_.size()) compact_timers();
}

void EventLoop::compact_timers() {
  auto keep = std::remove_if(timers_.begin(), timers_.end(), [](const TimerEntry& t) {
    if (!timer_dead(t.timer)) return false;
    set_in_heap(t.timer, false);
    t.timer->release();
    return true;
  });
  timers_.erase(keep, timers_.end());
  std::make_heap(timers_.begin(), timers_.end(), TimerLater{});
  cancelled_timers_ = 0;
}

void EventLoop::run_once() {
  while (!timers_.empty() && timer_dead(timers_.front().timer)) pop_timer();

  int64_t timeout = -1;
  const bool busy = !ready_.empty() || stopping_;
  if (busy) {
    timeout = 0;
  } else if (!timers_.empty()) {
    timeout = std::max<int64_t>(0, timers_.front().when_ns - now_ns());
  }
  // While callbacks are ready the poll does not wait, and on the real loop it is a system call
  // that mostly finds nothing: poll once every kBusyPollInterval busy iterations (tokio's
  // event_interval does the same). An idle loop polls every time (that is where it waits, and
  // where the simulated loop advances its clock or reports a deadlock).
  if (!busy || ++busy_iterations_ >= kBusyPollInterval) {
    busy_iterations_ = 0;
    poll(timeout);
  }

  const int64_t end = now_ns();
  while (!timers_.empty() && timers_.front().when_ns <= end) {
    const TimerEntry& t = timers_.front();
    if (!timer_dead(t.timer)) {
      if (observer_) observer_->on_timer_fired(t.seq, t.when_ns);
      schedule(t.timer, {}, timer_resource(t.timer));
    }
    pop_timer();
  }

  // Run only what was ready at the start of this iteration (asyncio's ntodo).
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    ReadyEntry e;
    if (!fifo_) {
      e = ready_.take(pick_ready());  // the others keep their order (DESIGN.md §5)
    } else {
      e = ready_.front();
      ready_.pop_front();
    }
    if (observer_ && e.runnable->kind() == internal::Runnable::Kind::kCallback) {
      auto* cb = static_cast<internal::CallbackState*>(e.runnable);
      if (!cb->cancelled()) observer_->on_callback(cb->seq);
    } else if (observer_ && e.runnable->kind() == internal::Runnable::Kind::kTimerFuture) {
      // A due TimerFuture is reported as the timer callback it replaces.
      auto* tf = static_cast<internal::TimerFuture*>(e.runnable);
      if (!tf->disarmed()) observer_->on_callback(tf->seq());
    }
    step_resource_ = e.resource;  // reported by a task's step (TaskBase::run)
    try {
      e.runnable->run(e.handle);
    } catch (...) {
      // A callback's failure is reported, not fatal: asyncio logs it and goes on. Loop-level
      // errors (DeadlockError) come from poll(), outside this block.
      call_exception_handler({"Exception in callback", std::current_exception(), {}});
    }
    e.runnable->release();
  }
  ready_.shrink_if_sparse();
}

void EventLoop::run_forever() {
  check_open("run_forever");
  if (running_) throw RuntimeError("This event loop is already running");
  if (t_running_loop) throw RuntimeError("Cannot run the event loop while another loop is running");
  internal::RunningLoopScope scope(this);
  owner_thread_ = std::this_thread::get_id();
  running_ = true;
  ran_ = true;
  struct Reset {
    EventLoop* loop;
    ~Reset() {
      loop->running_ = false;
      loop->stopping_ = false;
    }
  } reset{this};
  while (true) {
    run_once();
    if (stopping_) break;
  }
}

void EventLoop::close() {
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (closed_) return;
  closed_ = true;
  // The world first: it stops what runs on other threads (an executor job may use a task's
  // frame) and releases the connections, listeners and pipes it handed out without calling
  // user code, so a transport held by a frame or by its protocol does not outlive the loop.
  on_close();
  drop_scheduled();
  // Destroy the frames of tasks that never finished, newest first: a task refers to the locals
  // of the tasks that created it (a Lock, a Queue), rarely the other way round, so every frame
  // goes while what it refers to still exists. No task runs again; the destructors of their
  // locals do (a guard releases its lock) and may schedule wake-ups, dropped below.
  std::vector<internal::Ref<internal::TaskBase>> pending;
  for (auto* t = pending_head_; t; t = t->pending_next_) pending.emplace_back(t);
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    (*it)->destroy_frame();
    (*it)->clear_callbacks();
  }
  for (auto& t : pending) unregister_pending(t.get());
  pending.clear();
  drop_scheduled();
  // Detach the states that outlive the loop; report exceptions nobody retrieved.
  while (live_head_) {
    internal::TaskBase* t = live_head_;
    if (!t->exception_retrieved() && t->peek_exception() && !t->cancelled()) {
      t->mark_retrieved();
      call_exception_handler({"Task exception was never retrieved", t->peek_exception(), t->name()});
    }
    unregister_live(t);
    t->loop_ = nullptr;
  }
  for (const std::string& line : repeated_reports_.take_summary()) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void EventLoop::drop_scheduled() {
  // Releasing an entry may destroy what schedules another (a callback capturing a guard): loop
  // until both queues stay empty.
  while (!ready_.empty() || !timers_.empty()) {
    while (!ready_.empty()) {
      internal::Runnable* r = ready_.front().runnable;
      ready_.pop_front();
      r->release();
    }
    std::vector<TimerEntry> timers = std::move(timers_);
    timers_.clear();
    cancelled_timers_ = 0;
    for (auto& t : timers) set_in_heap(t.timer, false);
    for (auto& t : timers) t.timer->release();
  }
}

void EventLoop::register_task(internal::TaskBase* task) {
  // create_task has checked that the loop is open and on this thread.
  task->id_ = ++task_ids_;
  task->add_ref();  // the registry's reference, dropped when the task is done
  task->pending_prev_ = pending_tail_;
  if (pending_tail_) pending_tail_->pending_next_ = task; else pending_head_ = task;
  pending_tail_ = task;
  task->live_next_ = live_head_;
  if (live_head_) live_head_->live_prev_ = task;
  live_head_ = task;
  task->group_ = current_task_ ? current_task_->group_ : ambient_group_;
  if (observer_) {
    if (task->name_) {
      observer_->on_task_created(task->id_, *task->name_);
    } else {
      // The default name "Task-<id>" (TaskBase::name()) spelled on the stack: most tasks are
      // unnamed, and building a std::string per task showed in the spawn benchmarks.
      char buf[32] = "Task-";
      const auto end = std::to_chars(buf + 5, buf + sizeof(buf), task->id_).ptr;
      observer_->on_task_created(task->id_, std::string_view(buf, static_cast<size_t>(end - buf)));
    }
  }
}

void EventLoop::unregister_pending(internal::TaskBase* task) {
  if (!task->pending_prev_ && pending_head_ != task) return;  // not registered
  if (task->pending_prev_) task->pending_prev_->pending_next_ = task->pending_next_;
  else pending_head_ = task->pending_next_;
  if (task->pending_next_) task->pending_next_->pending_prev_ = task->pending_prev_;
  else pending_tail_ = task->pending_prev_;
  task->pending_prev_ = task->pending_next_ = nullptr;
  task->release();
}

void EventLoop::unregister_live(internal::TaskBase* task) {
  if (task->live_prev_) task->live_prev_->live_next_ = task->live_next_;
  else if (live_head_ == task) live_head_ = task->live_next_;
  if (task->live_next_) task->live_next_->live_prev_ = task->live_prev_;
  task->live_prev_ = task->live_next_ = nullptr;
}

size_t EventLoop::kill_group(uint16_t group) {
  check_thread("kill_group");
  if (group == 0) throw ValueError("kill_group: group 0 holds every task outside a group");
  std::vector<internal::Ref<internal::TaskBase>> victims;
  for (auto* t = pending_head_; t; t = t->pending_next_) {
    if (t->group_ == group) victims.emplace_back(t);
  }
  // Newest first, as close(): a task refers to the locals of the task that created it (a lock
  // its guard releases when destroyed), so the creator's frame goes last.
  for (auto it = victims.rbegin(); it != victims.rend(); ++it) {
    auto& t = *it;
    if (t.get() == current_task_) {
      // A task cannot destroy its own running frame: it dies as soon as it next yields control.
      call_soon([t] { t->kill(); });
    } else {
      t->kill();
    }
  }
  return victims.size();
}

uint16_t EventLoop::current_group() const {
  return current_task_ ? current_task_->group_ : ambient_group_;
}

AnyTask EventLoop::current_task() const { return AnyTask(current_task_); }

std::vector<AnyTask> EventLoop::all_tasks() const {
  std::vector<AnyTask> out;
  for (auto* t = pending_head_; t; t = t->pending_next_) out.emplace_back(t);
  return out;
}

uint64_t EventLoop::ready_task_id(size_t i) const {
  const internal::Runnable* r = ready_[i].runnable;
  if (!r) return 0;  // a hole
  return r->kind() == internal::Runnable::Kind::kTask
             ? static_cast<const internal::TaskBase*>(r)->id()
             : 0;
}

std::string EventLoop::dump_tasks() const {
  std::string out;
  for (auto* t = pending_head_; t; t = t->pending_next_) {
    absl::StrAppend(&out, "  task '", t->name(), "' (id ", t->id(), ") awaits ", t->waiting_on(),
                    "\n");
  }
  return out;
}

void EventLoop::set_world_hooks(WorldHooks) {
  throw RuntimeError("this event loop has no world services to hook");
}

std::shared_ptr<Clock> EventLoop::hook_clock(
    const WorldHooks& hooks, absl::FunctionRef<std::shared_ptr<Clock>()> make_own) const {
  if (!hooks.clock) return nullptr;
  if (ran_) {
    throw RuntimeError(
        "set_world_hooks: the clock cannot change once the loop has run (its timers' deadlines "
        "were read from the old clock); set WorldHooks.clock before the first run");
  }
  std::shared_ptr<Clock> clock = hooks.clock(make_own());
  if (!clock) {
    throw RuntimeError("WorldHooks.clock returned null: return the clock it was given, a "
                       "decorator of it, or a stand-in");
  }
  return clock;
}

void EventLoop::call_exception_handler(const ExceptionContext& context) {
  if (handler_) {
    try {
      handler_(*this, context);
      return;
    } catch (...) {
      // A failing custom handler must not lose the original report: fall through to the default.
    }
  }
  if (repeated_reports_.first(context.message, context.exception)) {
    default_exception_handler(context);
  }
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
  std::string line = absl::StrCat("weft: ", context.message);
  if (!context.task_name.empty()) absl::StrAppend(&line, ": task '", context.task_name, "'");
  if (context.exception) absl::StrAppend(&line, ": ", describe_exception(context.exception));
  std::fprintf(stderr, "%s\n", line.c_str());
}

void EventLoop::cancel_all_tasks() {
  std::vector<AnyTask> to_cancel = all_tasks();
  if (to_cancel.empty()) return;
  for (auto& t : to_cancel) t.cancel();
  auto waiter = create_future<void>();
  auto remaining = std::make_shared<size_t>(to_cancel.size());
  for (auto& t : to_cancel) {
    t.add_done_callback([waiter, remaining](AnyTask) mutable {
      if (--*remaining == 0 && !waiter.done()) waiter.set_result();
    });
  }
  waiter.core()->add_done_callback([this] { stop(); });
  run_forever();
  for (auto& t : to_cancel) {
    if (!t.done() || t.cancelled()) continue;
    if (auto e = t.exception()) {
      call_exception_handler({"unhandled exception during shutdown", e, t.get_name()});
    }
  }
}

}  // namespace weft
