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

}  // namespace weft::sim
