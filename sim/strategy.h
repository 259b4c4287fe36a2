// Scheduling strategies (DESIGN.md §5): which ready callback of the simulated loop runs next.
// fifo is asyncio's order (only external timing varies with the seed); random picks uniformly
// among the ready callbacks at every step. A strategy sees the ready entries' task ids and
// resources, so pct and pos can be added behind the same interface.
#ifndef WEFT_SIM_STRATEGY_H_
#define WEFT_SIM_STRATEGY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/choice_source.h"

namespace weft::sim {

enum class Strategy : uint8_t { kFifo = 0, kRandom = 1 };

absl::StatusOr<Strategy> parse_strategy(std::string_view name);
const char* strategy_name(Strategy s);

// What a strategy may look at: the ready queue, in FIFO order.
class ReadyView {
 public:
  virtual ~ReadyView() = default;
  virtual size_t size() const = 0;
  virtual uint64_t task_id(size_t i) const = 0;   // 0 for a plain callback
  virtual uint64_t resource(size_t i) const = 0;  // what made it ready
};

class SchedulingStrategy {
 public:
  virtual ~SchedulingStrategy() = default;
  // Index of the entry to run next, in [0, ready.size()). 0 is FIFO.
  virtual size_t pick(const ReadyView& ready, ChoiceSource& choices) = 0;
  // Whether pick() can return anything but 0 (lets the loop keep its FIFO fast path).
  virtual bool reorders() const = 0;
};

std::unique_ptr<SchedulingStrategy> make_strategy(Strategy s);

}  // namespace weft::sim

#endif  // WEFT_SIM_STRATEGY_H_
