// LoopObserver: hooks the loop calls as it runs, for traces, digests and tools (DESIGN.md §3, §6).
// A loop has any number of them (EventLoop::add_observer). Every hook has an empty default body:
// override only what you need. Events name things by loop-issued ids, never by pointers or fds.
// The loop calls them on its own thread; an observer must not call back into the loop (not even
// add_observer / remove_observer).
#ifndef WEFT_RUNTIME_OBSERVER_H_
#define WEFT_RUNTIME_OBSERVER_H_

#include <cstdint>
#include <string_view>

namespace weft {

enum class TaskOutcome : uint8_t { kResult = 0, kException = 1, kCancelled = 2 };

class LoopObserver {
 public:
  virtual ~LoopObserver() = default;

  // ---- Tasks. ----
  virtual void on_task_created(uint64_t task_id, std::string_view name) {
    (void)task_id, (void)name;
  }
  // A task is about to run one step (resume); `resource` tags what made it ready.
  virtual void on_task_step(uint64_t task_id, uint64_t resource) { (void)task_id, (void)resource; }
  virtual void on_task_done(uint64_t task_id, TaskOutcome outcome) {
    (void)task_id, (void)outcome;
  }

  // ---- Callbacks. ----
  // A plain callback (call_soon, call_later, done callback) or a due sleep timer is about to run.
  virtual void on_callback(uint64_t callback_id) { (void)callback_id; }

  // ---- Timers (call_later / call_at / sleep), named by their callback id. ----
  // Each armed timer later fires or is cancelled, once (unless the loop closes first).
  virtual void on_timer_armed(uint64_t callback_id, int64_t when_ns) {
    (void)callback_id, (void)when_ns;
  }
  // The timer became due and was moved to the ready queue.
  virtual void on_timer_fired(uint64_t callback_id, int64_t when_ns) {
    (void)callback_id, (void)when_ns;
  }
  // The timer was cancelled (TimerHandle::cancel, a cancelled sleep) before it fired.
  virtual void on_timer_cancelled(uint64_t callback_id) { (void)callback_id; }

  // The world's I/O events (connections, bytes, datagrams, processes, executor jobs, faults)
  // join this interface with the I/O layer of issue 12.
};

}  // namespace weft

#endif  // WEFT_RUNTIME_OBSERVER_H_
