#include "sim/strategy.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace weft::sim {
namespace {

class FifoStrategy final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "fifo"; }
  bool reorders() const override { return false; }
  size_t pick(const ReadyView&, ChoiceSource&) override { return 0; }
};

class RandomStrategy final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "random"; }
  bool wants_events() const override { return false; }
  // Uniform among the live entries: a slot drawn uniformly, drawn again on a hole (holes are at
  // most half of the slots, so two draws on average at worst); only the live slot drawn is the
  // recorded choice.
  size_t pick(const ReadyView& ready, ChoiceSource& choices) override {
    if (ready.live_count() <= 1) return 0;  // the only live entry is slot 0
    return static_cast<size_t>(choices.choose_where(
        ChoiceKind::kSchedule, ready.size(), [&ready](uint64_t i) { return ready.live(i); }));
  }
};

}  // namespace

absl::StatusOr<Strategy> parse_strategy(std::string_view name) {
  if (name == "fifo") return Strategy::kFifo;
  if (name == "random") return Strategy::kRandom;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown strategy '", std::string(name), "' (expected one of: fifo, random)"));
}

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::kFifo: return "fifo";
    case Strategy::kRandom: return "random";
  }
  return "unknown";
}

std::unique_ptr<SchedulingStrategy> make_strategy(Strategy s) {
  switch (s) {
    case Strategy::kRandom: return std::make_unique<RandomStrategy>();
    case Strategy::kFifo: break;
  }
  return std::make_unique<FifoStrategy>();
}

}  // namespace weft::sim
