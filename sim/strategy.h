// Scheduling strategies (DESIGN.md §5): which ready entry of the simulated loop runs next.
// SchedulingStrategy is an open interface: implement it (pct, pos, a test's scripted order) and
// hand it to a SimLoop through SimConfig::strategy_factory. The built-in ones are fifo (asyncio's
// order; only external timing varies with the seed) and random (uniform among the ready entries
// at every step), chosen by the Strategy enum.
#ifndef WEFT_SIM_STRATEGY_H_
#define WEFT_SIM_STRATEGY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "runtime/event_loop.h"
#include "runtime/observer.h"
#include "sim/choice_source.h"

namespace weft::sim {

enum class Strategy : uint8_t { kFifo = 0, kRandom = 1 };

absl::StatusOr<Strategy> parse_strategy(std::string_view name);
const char* strategy_name(Strategy s);

// What a strategy may look at: the ready queue as slots. The live slots, in slot order, are the
// FIFO order; slot 0 is always live (the oldest entry). An entry taken from the middle leaves a
// hole until the queue compacts, so a strategy that scans skips the slots that are not live,
// and one that draws a slot draws again on a hole (the loop keeps holes at most as many as the
// live entries). Slots, not ranks: taking the i-th live entry in O(1) is what keeps a step cheap.
// A thin, non-virtual window on the loop's queue: a step reads it several times.
class ReadyView {
 public:
  explicit ReadyView(const EventLoop& loop) : loop_(&loop) {}
  size_t size() const { return loop_->ready_slots(); }  // slots, holes included (>= 1)
  size_t live_count() const { return loop_->ready_count(); }  // at least half of the slots
  bool live(size_t i) const { return loop_->ready_live(i); }
  // For a live slot:
  uint64_t task_id(size_t i) const { return loop_->ready_task_id(i); }  // 0: a plain callback
  uint64_t resource(size_t i) const { return loop_->ready_resource(i); }  // what made it ready

 private:
  const EventLoop* loop_;
};

// The contract between a SimLoop and its strategy:
// - One instance per run: a SimLoop makes its own (SimConfig::strategy_factory) and owns it, so
//   a strategy keeps its state (priorities, counters) in members and needs no reset.
// - pick() is asked once per step, before every ready entry runs, and returns a live slot in
//   [0, ready.size()); anything else (a hole, an index past the end) is a RuntimeError that ends
//   the run. The loop takes that entry out of the queue and leaves the others in their order, so
//   slot 0 is always the oldest entry: returning 0 at every step is asyncio's FIFO order.
// - Every nondeterministic decision is drawn from the ChoiceSource that pick() is given (seeded,
//   recorded, hashed into the digest, replayable, shrinkable; choice 0 should mean "no
//   deviation"). No other randomness, no clocks, nothing that depends on pointer values or hash
//   order (DESIGN.md §4).
// - Hooks, in the order the events happen: on_task_created when a task is created (before its
//   first step), on_step right after each pick with the picked entry's task id (0 for a plain
//   callback) and resource, on_task_done when a task finishes. A picked entry that turns out to
//   have nothing to do (a cancelled callback) still counts as a step: it was a choice.
// - reorders() is read once, when the loop is built. False means "always 0": the loop then runs
//   its FIFO fast path and calls neither pick() nor the hooks.
// - A strategy must not call into the loop; it only answers.
class SchedulingStrategy {
 public:
  virtual ~SchedulingStrategy() = default;

  // Shown in the deadlock report and in run reports ("fifo", "random", "pct", ...).
  virtual std::string_view name() const = 0;
  virtual bool reorders() const { return true; }
  // False: the strategy ignores the hooks below, and the loop does not call them (read once,
  // when the loop is built; saves the per-step call for strategies like random).
  virtual bool wants_events() const { return true; }
  virtual size_t pick(const ReadyView& ready, ChoiceSource& choices) = 0;

  virtual void on_task_created(uint64_t task_id, std::string_view name) {
    (void)task_id, (void)name;
  }
  virtual void on_step(uint64_t task_id, uint64_t resource) { (void)task_id, (void)resource; }
  virtual void on_task_done(uint64_t task_id, TaskOutcome outcome) {
    (void)task_id, (void)outcome;
  }
};

// Makes a fresh strategy for each run (see SimConfig::strategy_factory).
using StrategyFactory = std::function<std::unique_ptr<SchedulingStrategy>()>;

// The built-in strategies.
std::unique_ptr<SchedulingStrategy> make_strategy(Strategy s);

}  // namespace weft::sim

#endif  // WEFT_SIM_STRATEGY_H_
