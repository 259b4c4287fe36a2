// weft::Event: asyncio.Event. A flag that tasks wait for: set() wakes every waiter, and wait()
// returns at once while the flag is set. A waiter woken by set() returns even if clear() runs
// before it resumes.
#ifndef WEFT_RUNTIME_SYNC_EVENT_H_
#define WEFT_RUNTIME_SYNC_EVENT_H_

#include <string>

#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"

namespace weft {

class Event final : private internal::WaitDescriber {
 public:
  // `name` appears in deadlock reports ("Event.wait on 'ready' (unset, 2 waiters)").
  explicit Event(std::string name = {}) : name_(std::move(name)) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const { return value_; }
  // Sets the flag and wakes every waiter, in the order they started waiting.
  void set();
  // Resets the flag; later wait() calls block again.
  void clear() { value_ = false; }
  // Returns once the flag is set (asyncio returns True). A cancelled wait() leaves the event
  // unchanged and no waiter behind.
  Task<void> wait();

  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see internal::WaitDescriber).
  using internal::WaitDescriber::resource_id;

 private:
  std::string describe_wait(const char* op) const override;

  std::string name_;
  bool value_ = false;
  internal::WaiterList waiters_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_EVENT_H_
