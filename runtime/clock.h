// weft::Clock: the world's clock, below asyncio (DESIGN.md §3). The real world reads
// CLOCK_MONOTONIC; the simulated world reads its virtual time, which the loop advances when
// nothing is ready. The loop reads it for loop.time() / time_ns() and for every deadline it
// computes and checks (call_later, call_at, sleep, timeouts), so a WorldHooks.clock decorator
// (runtime/world.h) sees each reading that can reach the program, in order.
#ifndef WEFT_RUNTIME_CLOCK_H_
#define WEFT_RUNTIME_CLOCK_H_

#include <cstdint>

namespace weft {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds on a monotonic scale (never less than an earlier reading). Loop thread only.
  virtual int64_t now_ns() = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_CLOCK_H_
