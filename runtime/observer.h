// LoopObserver: hooks the loop calls as it runs, for traces and digests (DESIGN.md §6).
// The loop calls them on its own thread; an observer must not call back into the loop.
#ifndef WEFT_RUNTIME_OBSERVER_H_
#define WEFT_RUNTIME_OBSERVER_H_

#include <cstdint>
#include <string_view>

namespace weft {

enum class TaskOutcome : uint8_t { kResult = 0, kException = 1, kCancelled = 2 };

class LoopObserver {
 public:
  virtual ~LoopObserver() = default;
  virtual void on_task_created(uint64_t task_id, std::string_view name) = 0;
  // A task is about to run one step (resume).
  virtual void on_task_step(uint64_t task_id, uint64_t resource) = 0;
  virtual void on_task_done(uint64_t task_id, TaskOutcome outcome) = 0;
  // A plain callback (call_soon, call_later, done callback) is about to run.
  virtual void on_callback(uint64_t callback_id) = 0;
  // A timer became due and was moved to the ready queue.
  virtual void on_timer_fired(uint64_t callback_id, int64_t when_ns) = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_OBSERVER_H_
