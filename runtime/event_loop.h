// weft::EventLoop: the loop interface and the core both worlds share (DESIGN.md §3) — the ready
// queue, the timer heap, the task registry, observer hooks and the scheduling seam. EpollLoop and
// SimLoop differ only in the clock, in how they wait, and in which ready entry runs next.
// Single-threaded: only call_soon_threadsafe may be called from another thread.
//
//   run_forever ─► run_once: ┌ drop cancelled timers at the heap top
//                            ├ poll(timeout)      (epoll_wait | advance virtual time | deadlock;
//                            │                     with callbacks ready: every 32nd iteration)
//                            ├ due timers ─► ready queue (in (when, seq) order)
//                            └ run the n entries that were ready: pick_ready() chooses each
//                              (the others keep their order)
#ifndef WEFT_RUNTIME_EVENT_LOOP_H_
#define WEFT_RUNTIME_EVENT_LOOP_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "runtime/clock.h"
#include "runtime/errors.h"
#include "runtime/handle.h"
#include "runtime/internal/core.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/internal/repeated_reports.h"
#include "runtime/internal/task_base.h"
#include "runtime/observer.h"
#include "runtime/random.h"
#include "runtime/source_location.h"
#include "runtime/world.h"

namespace weft {

template <class T>
class Task;
template <class T>
class TaskHandle;
template <class T>
class Future;
class AnyTask;
class NetworkService;
class ProcessService;
class ExecutorService;

// What call_exception_handler receives (asyncio's context dict, the keys weft uses).
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;
  std::string task_name;  // empty when no task is involved
};

namespace internal {
// The loop running on this thread (null if none): the one thread-local (STYLE.md). constinit, so
// reading it from another translation unit needs no TLS wrapper call.
extern constinit thread_local EventLoop* t_running_loop;
}  // namespace internal

// Thread contract: a loop is used from the thread that runs it; call_soon_threadsafe is the one
// way in from another thread. While the loop runs, a call from another thread to call_soon,
// call_later, call_at, create_task, create_future, run_until_complete, run_forever, kill_group,
// EpollLoop's add/remove_reader/writer, or to set_result / set_exception / cancel /
// add_done_callback of its futures and tasks raises RuntimeError naming both threads and changes
// nothing. stop() and the accessors are not checked (as in asyncio, stop another thread's loop
// with call_soon_threadsafe). While the loop is not running, whoever holds it may use it.
class EventLoop {
 public:
  using ExceptionHandler = absl::AnyInvocable<void(EventLoop&, const ExceptionContext&)>;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  virtual ~EventLoop();

  // The loop's clock: seconds (asyncio's loop.time()) and nanoseconds.
  double time() const { return static_cast<double>(now_ns()) * 1e-9; }
  int64_t time_ns() const { return now_ns(); }

  // Runs `fn` on a later iteration, after the callbacks already scheduled (FIFO on the real loop).
  Handle call_soon(absl::AnyInvocable<void()> fn);
  // Runs `fn` once `delay` seconds have passed (never earlier). A negative delay is a deadline
  // in the past, kept as it is (as asyncio): the timer is due at the next iteration, and due
  // timers run in (deadline, scheduling) order, so call_later(-1, p); call_later(-2, q) runs q
  // first. Due timers join the ready queue after the callbacks already in it.
  TimerHandle call_later(double delay, absl::AnyInvocable<void()> fn);
  TimerHandle call_later(std::chrono::nanoseconds delay, absl::AnyInvocable<void()> fn);
  // Runs `fn` at loop time `when` (seconds) / `when_ns`; a time in the past is due at once and
  // keeps its order among past deadlines (-inf first, +inf never).
  TimerHandle call_at(double when, absl::AnyInvocable<void()> fn);
  TimerHandle call_at_ns(int64_t when_ns, absl::AnyInvocable<void()> fn);
  // The only entry that is safe from another thread. The simulated loop has no other threads:
  // there it is call_soon, and a call from another thread is a bug in the test.
  virtual void call_soon_threadsafe(absl::AnyInvocable<void()> fn);

  // Wraps `coro` in a task scheduled to start on the next iteration (asyncio create_task).
  // The loop owns the task until it finishes; the handle may be dropped.
  template <class T>
  TaskHandle<T> create_task(Task<T> coro, std::string name = {});
  template <class T = void>
  Future<T> create_future();

  // The task running now (null handle outside a task) and every task not yet done, oldest first.
  AnyTask current_task() const;
  std::vector<AnyTask> all_tasks() const;

  // Runs until `main` is done and returns its result (or throws its exception). Throws
  // RuntimeError if the loop was stopped first.
  template <class T>
  T run_until_complete(Task<T> main);
  template <class T>
  T run_until_complete(TaskHandle<T> main);
  void run_forever();
  // Stops run_forever after the current iteration (before it starts: after one iteration).
  void stop() { stopping_ = true; }
  // Releases what the world handed out (connections, listeners, pipes: fds closed, protocols
  // dropped uncalled), drops scheduled callbacks and timers, destroys the frames of unfinished
  // tasks newest first without running them again (their locals' destructors run), reports
  // task exceptions never retrieved. Throws RuntimeError while running. Idempotent.
  void close();
  bool is_running() const { return running_; }
  bool is_closed() const { return closed_; }

  // asyncio.run's shutdown step: cancels every pending task and runs until all are done,
  // reporting those that end with an exception other than cancellation.
  void cancel_all_tasks();

  void set_exception_handler(ExceptionHandler handler) { handler_ = std::move(handler); }
  // Calls the handler; with none set, the default one for the first report of each kind
  // (message and exception type) only: later ones are counted, and close() prints one line per
  // repeated kind, "weft: <message>: <Type> (and N more like it)".
  void call_exception_handler(const ExceptionContext& context);
  // Default: one line to stderr ("weft: <message>: task '<name>': <Type>: <what>").
  static void default_exception_handler(const ExceptionContext& context);

  // The loop's random generator and buggify seam (always false on the real loop).
  virtual Random& random() = 0;
  virtual bool buggify(const SourceLocation& site) {
    (void)site;
    return false;
  }

  // Task groups (see internal::TaskBase::group): kills every unfinished task of `group` (not
  // 0) abruptly, newest first, and returns how many. The calling task, if it is one of
  // them, is killed on the next iteration instead (its frame is running now).
  size_t kill_group(uint16_t group);
  // The running task's group; outside a task, the group of the innermost GroupScope (else 0).
  uint16_t current_group() const;
  // Makes tasks created outside any task — by a callback, such as a protocol's connection_made —
  // join `group` while the scope lives (a simulated node's network callbacks use it).
  class GroupScope {
   public:
    GroupScope(EventLoop& loop, uint16_t group)
        : loop_(loop), saved_(std::exchange(loop.ambient_group_, group)) {}
    ~GroupScope() { loop_.ambient_group_ = saved_; }
    GroupScope(const GroupScope&) = delete;
    GroupScope& operator=(const GroupScope&) = delete;

   private:
    EventLoop& loop_;
    uint16_t saved_;
  };

  // World services (DESIGN.md §3): what differs between the worlds beyond the clock and the
  // schedule. Each is an interface both worlds implement; null where a world lacks it and once
  // the loop is closed. A world makes its own service on first use and passes it through the
  // matching WorldHooks entry (runtime/world.h), which may wrap or replace it.
  virtual NetworkService* network_service() { return nullptr; }
  virtual ProcessService* process_service() { return nullptr; }
  virtual ExecutorService* executor_service() { return nullptr; }
  // Hooks for the services (runtime/world.h). RuntimeError once any service has been made, or
  // when the loop is running or closed: a run sees one world from start to end. The base loop
  // has no services and refuses hooks.
  virtual void set_world_hooks(WorldHooks hooks);
  // asyncio's shutdown_default_executor: waits for the default executor's jobs and stops it.
  // weft::run and sim::run call it after main. No-op where there is no executor.
  virtual void shutdown_default_executor() {}

  // Observers (trace recorders, tools): any number, called in the order added, after the
  // world's own (the simulated loop's digest, which they cannot remove or disturb). The loop does
  // not own them: remove one before it is destroyed. ValueError for null or one already added.
  void add_observer(LoopObserver* observer);
  // Removes `observer`; false if it was not added.
  bool remove_observer(LoopObserver* observer);

  // RuntimeError if the loop is running on another thread than the caller's (see the thread
  // contract above). `object` and `method` name the call in the message. One predictable branch
  // on the hot path: a flag of the loop, then a thread-local compare.
  void check_thread(const char* method, const char* object = "EventLoop") const {
    if (running_ && internal::t_running_loop != this) [[unlikely]] {
      throw_wrong_thread(object, method);
    }
  }

  // ---- Internal scheduling API, for awaiters and primitives. ----
  // Queues `r` to run with `h`; `resource` is the loop-issued id of what made it ready (DESIGN.md
  // §5), 0 for nothing in particular. What each ready entry carries:
  //   a task woken by a future        the future's resource_id() (a primitive's waiter: the
  //                                   primitive's id; a stream read: the connection's; a sleep:
  //                                   its timer's; an executor job's future: the job's)
  //   a task's first step, sleep(0)   0
  //   a done callback                 the future's resource_id()
  //   call_soon / call_soon_threadsafe 0; call_soon_for: the resource given
  //   a due timer                     the timer's id (call_later / call_at / a sleep), or the
  //                                   resource it was armed for (call_at_ns_for)
  //   fd readiness (real loop)        the id of the transport / server / pipe watching the fd,
  //                                   0 for a bare add_reader / add_writer; never the fd
  void schedule(internal::Runnable* r, std::coroutine_handle<> h = {}, uint64_t resource = 0);
  // call_soon / call_at_ns whose ready entry carries `resource` (a connection's delivery, a
  // network timer): how the worlds tag the callbacks they schedule for a resource.
  Handle call_soon_for(uint64_t resource, absl::AnyInvocable<void()> fn);
  TimerHandle call_at_ns_for(uint64_t resource, int64_t when_ns, absl::AnyInvocable<void()> fn);
  // Puts `f` on the timer heap at f->when_ns() (ordered with call_at timers by (when, id)) and
  // gives it a new resource id, which the task it wakes reports.
  void arm_timer(internal::TimerFuture* f);
  internal::TaskBase* current_task_raw() const { return current_task_; }
  // Where the loop's events go: null (no observer at all: one branch on the hot path), the
  // world's own observer alone, or a fan-out over it and the added ones.
  LoopObserver* observer() const { return observer_; }
  // A new resource id: one sequence per loop, shared by every kind of resource (primitives,
  // futures, timers, connections, endpoints, processes, executor jobs), never 0, never reused.
  // Both worlds issue them the same way, so a simulated run's ids repeat with its seed.
  uint64_t next_resource_id() { return ++resource_ids_; }
  // The resource of the ready entry running now (meaningful only while one runs): what
  // on_task_step reports.
  uint64_t step_resource() const { return step_resource_; }
  void register_task(internal::TaskBase* task);
  void unregister_pending(internal::TaskBase* task);
  void unregister_live(internal::TaskBase* task);
  // Timer `id` (a callback id) was cancelled while on the heap; used by cancel() and disarm().
  void note_timer_cancelled(uint64_t id);
  // Lines "task 'name' (id N) awaits <what>" for every pending task.
  std::string dump_tasks() const;
  size_t ready_count() const { return ready_.size(); }
  // The ready queue's slots, for strategies (sim::ReadyView): how many (holes included),
  // whether one is live, and a live slot's task id (0 for a callback) and resource.
  size_t ready_slots() const { return ready_.slots(); }
  bool ready_live(size_t slot) const { return ready_.live(slot); }
  uint64_t ready_task_id(size_t slot) const;
  uint64_t ready_resource(size_t slot) const { return ready_[slot].resource; }

 protected:
  virtual int64_t now_ns() const = 0;
  // Waits for I/O up to `timeout_ns` (0: do not block; -1: nothing scheduled, no timer).
  virtual void poll(int64_t timeout_ns) = 0;
  // Which ready slot runs next (a live one, below ready_slots()); 0 is FIFO. Only called when
  // fifo_ is false. The loop takes that entry out and leaves the others in their order; a slot
  // in the middle becomes a hole (internal::ReadyQueue).
  virtual size_t pick_ready() { return 0; }
  // Called by close() before tasks are destroyed; worlds release their own resources here:
  // stop their threads, close every fd they handed out, drop protocols without calling them.
  virtual void on_close() {}
  // WorldHooks.clock over the world's own clock (made by `make_own`): what the loop reads from
  // then on, or null when there is no hook (the world reads its clock directly: no virtual call
  // on the hot path). RuntimeError when the hook returns null, or when the loop has already run
  // (its timers' deadlines were read from the old clock).
  std::shared_ptr<Clock> hook_clock(const WorldHooks& hooks,
                                    absl::FunctionRef<std::shared_ptr<Clock>()> make_own) const;
  // RuntimeError if closed ("Event loop is closed") or used from another thread (check_thread).
  void check_open(const char* method) const {
    if (closed_) [[unlikely]] throw_closed();
    check_thread(method);
  }
  // What the wrong-thread error advises (the simulated world has no threads to hand work to).
  virtual const char* cross_thread_advice() const {
    return "only call_soon_threadsafe may be called from another thread";
  }
  bool fifo_ = true;
  // The world's own observer (the simulated loop's digest and step count): first to see every
  // event, and not one that add_observer / remove_observer can replace or remove.
  void set_world_observer(LoopObserver* observer);

 private:
  class Fanout;
  void update_observer();
  using ReadyEntry = internal::ReadyEntry;
  struct TimerEntry {
    int64_t when_ns;
    uint64_t seq;
    internal::Runnable* timer;  // a CallbackState or a TimerFuture; one reference held
  };
  struct TimerLater {
    bool operator()(const TimerEntry& a, const TimerEntry& b) const {
      return a.when_ns != b.when_ns ? a.when_ns > b.when_ns : a.seq > b.seq;
    }
  };
  friend class internal::TaskBase;

  void run_once();
  void push_timer(internal::Runnable* timer, int64_t when_ns, uint64_t seq);
  // A timer entry that will not run: a cancelled callback or a disarmed TimerFuture.
  static bool timer_dead(const internal::Runnable* timer);
  static void set_in_heap(internal::Runnable* timer, bool in_heap);
  void pop_timer();
  void compact_timers();
  // close(): releases every ready entry and timer without running it.
  void drop_scheduled();
  // `resource` 0: the timer gets an id of its own.
  TimerHandle push_callback_timer(int64_t when_ns, absl::AnyInvocable<void()> fn,
                                  uint64_t resource = 0);
  // The resource a due timer's ready entry carries (see schedule()).
  static uint64_t timer_resource(internal::Runnable* timer);
  [[noreturn]] static void throw_closed();
  [[noreturn]] void throw_wrong_thread(const char* object, const char* method) const;

  internal::ReadyQueue ready_;
  std::vector<TimerEntry> timers_;
  size_t cancelled_timers_ = 0;
  // Iterations with callbacks ready since the last poll (see run_once).
  static constexpr int kBusyPollInterval = 32;
  int busy_iterations_ = 0;
  internal::TaskBase* current_task_ = nullptr;
  uint16_t ambient_group_ = 0;  // see GroupScope
  internal::TaskBase* pending_head_ = nullptr;
  internal::TaskBase* pending_tail_ = nullptr;
  internal::TaskBase* live_head_ = nullptr;
  uint64_t task_ids_ = 0;
  uint64_t callback_ids_ = 0;
  uint64_t resource_ids_ = 0;
  uint64_t step_resource_ = 0;       // see step_resource()
  LoopObserver* observer_ = nullptr;  // see observer()
  LoopObserver* world_observer_ = nullptr;
  std::vector<LoopObserver*> observers_;  // added by users, in order
  std::unique_ptr<Fanout> fanout_;        // created by the first add_observer
  ExceptionHandler handler_;
  internal::RepeatedReports repeated_reports_;  // what the default handler left out
  bool running_ = false;
  bool ran_ = false;  // run_forever has started once (see hook_clock)
  bool stopping_ = false;
  bool closed_ = false;
  std::thread::id owner_thread_;  // the thread running the loop (set by run_forever)
};

// The loop running on this thread. Throws RuntimeError("no running event loop") outside one.
EventLoop& get_running_loop();
// Null when no loop runs on this thread.
EventLoop* running_loop_or_null();

namespace internal {
// Sets the running loop of this thread for the lifetime of the object (used by run_forever).
class RunningLoopScope {
 public:
  explicit RunningLoopScope(EventLoop* loop);
  ~RunningLoopScope();

 private:
  EventLoop* previous_;
};
}  // namespace internal

}  // namespace weft

#endif  // WEFT_RUNTIME_EVENT_LOOP_H_
