#include "sim/choice_source.h"

namespace weft::sim {

const char* choice_kind_name(ChoiceKind kind) {
  switch (kind) {
    case ChoiceKind::kSchedule: return "schedule";
    case ChoiceKind::kRandom: return "random";
    case ChoiceKind::kBuggify: return "buggify";
    case ChoiceKind::kLatency: return "latency";
    case ChoiceKind::kFault: return "fault";
    case ChoiceKind::kExecutor: return "executor";
  }
  return "unknown";
}

uint64_t ListChoiceSource::choose(ChoiceKind, uint64_t n) {
  if (next_ >= choices_.size()) {
    ++divergences_;
    return 0;
  }
  uint64_t v = choices_[next_++];
  if (v >= n) {
    ++divergences_;
    return 0;
  }
  return v;
}

uint64_t ListChoiceSource::choose_where(ChoiceKind kind, uint64_t n,
                                        absl::FunctionRef<bool(uint64_t)> accept) {
  const uint64_t v = choose(kind, n);
  if (accept(v)) return v;
  ++divergences_;
  return 0;
}

}  // namespace weft::sim
