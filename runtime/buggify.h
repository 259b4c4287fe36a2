// weft::buggify() and weft::random(): the fault-injection seam and the loop's generator.
// buggify() is always false on the real loop; on the simulated loop, where enabled, each call
// site is activated or not once per run by the seed, and an active site fires by seeded chance
// (FoundationDB's BUGGIFY). Write `if (weft::buggify()) { inject a fault }`.
#ifndef WEFT_RUNTIME_BUGGIFY_H_
#define WEFT_RUNTIME_BUGGIFY_H_

#include "runtime/event_loop.h"
#include "runtime/random.h"
#include "runtime/source_location.h"

namespace weft {

inline bool buggify(SourceLocation site = SourceLocation::current()) {
  EventLoop* loop = running_loop_or_null();
  return loop && loop->buggify(site);
}

// The running loop's random generator (RuntimeError outside a loop).
inline Random& random() { return get_running_loop().random(); }

}  // namespace weft

#endif  // WEFT_RUNTIME_BUGGIFY_H_
