// The ChoiceSource seam (DESIGN.md §4): every nondeterministic decision of the simulated world is
// choose(kind, n) -> [0, n). Choice 0 always means "the default, no deviation", so shrinking
// toward 0 shrinks toward the simplest schedule. Sources: a seeded PRNG (exploration), a recorded
// list (replay), a generated list (RapidCheck).
#ifndef WEFT_SIM_CHOICE_SOURCE_H_
#define WEFT_SIM_CHOICE_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "runtime/prng.h"

namespace weft::sim {

enum class ChoiceKind : uint8_t {
  kSchedule = 0,  // which ready callback runs next
  kRandom = 1,    // weft::random()
  kBuggify = 2,   // buggify site activation and firing
  kLatency = 3,   // network latency, partial-read sizes (sim::Network)
  kFault = 4,     // injected faults
  kExecutor = 5,  // simulated executor start and completion times
};

const char* choice_kind_name(ChoiceKind kind);

class ChoiceSource {
 public:
  virtual ~ChoiceSource() = default;
  // A value in [0, n); n >= 1. Called only when there is a real choice (n > 1 for schedules).
  virtual uint64_t choose(ChoiceKind kind, uint64_t n) = 0;
  // A value in [0, n) that `accept` takes; `accept(0)` must hold. Only the value returned is the
  // choice (recorded, hashed, replayed): a seeded source draws until one is accepted (rejection
  // sampling: uniform among the accepted values), a replayed one returns its recorded value.
  // The default draws through choose() and so records every draw.
  virtual uint64_t choose_where(ChoiceKind kind, uint64_t n,
                                absl::FunctionRef<bool(uint64_t)> accept) {
    for (;;) {
      const uint64_t v = choose(kind, n);
      if (accept(v)) return v;
    }
  }
};

// Seeded exploration: xoshiro256** seeded by splitmix64(seed).
class PrngChoiceSource final : public ChoiceSource {
 public:
  explicit PrngChoiceSource(uint64_t seed) : rng_(seed) {}
  uint64_t choose(ChoiceKind, uint64_t n) override { return n <= 1 ? 0 : rng_.below(n); }
  uint64_t choose_where(ChoiceKind, uint64_t n,
                        absl::FunctionRef<bool(uint64_t)> accept) override {
    if (n <= 1) return 0;
    for (;;) {
      const uint64_t v = rng_.below(n);
      if (accept(v)) return v;
    }
  }

 private:
  Xoshiro256 rng_;
};

// Replays a list of choices. Past the end of the list, or where a recorded value does not fit
// the bound asked for, it answers 0 (the default) and counts a divergence.
class ListChoiceSource final : public ChoiceSource {
 public:
  explicit ListChoiceSource(std::vector<uint64_t> choices) : choices_(std::move(choices)) {}
  uint64_t choose(ChoiceKind kind, uint64_t n) override;
  // The recorded value; 0 (and a divergence) when it is not accepted.
  uint64_t choose_where(ChoiceKind kind, uint64_t n,
                        absl::FunctionRef<bool(uint64_t)> accept) override;
  size_t consumed() const { return next_; }
  size_t divergences() const { return divergences_; }

 private:
  std::vector<uint64_t> choices_;
  size_t next_ = 0;
  size_t divergences_ = 0;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_CHOICE_SOURCE_H_
