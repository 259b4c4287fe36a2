// The main job for now: runs examples/bank.h's race under the simulated loop for a sweep of
// seeds and prints which outcomes occur, with the seeds and digests that produce them.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "examples/bank.h"
#include "sim/run.h"

ABSL_FLAG(int, seeds, 200, "number of seeds to run, starting at --first_seed");
ABSL_FLAG(uint64_t, first_seed, 0, "first seed of the sweep");
ABSL_FLAG(std::string, strategy, "random", "scheduling strategy: fifo or random");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int seeds = absl::GetFlag(FLAGS_seeds);
  const uint64_t first = absl::GetFlag(FLAGS_first_seed);
  auto strategy = weft::sim::parse_strategy(absl::GetFlag(FLAGS_strategy));
  if (!strategy.ok()) {
    std::fprintf(stderr, "bank_race: --strategy: %s\n", std::string(strategy.status().message()).c_str());
    return 2;
  }
  if (seeds <= 0) {
    std::fprintf(stderr, "bank_race: --seeds must be positive (got %d)\n", seeds);
    return 2;
  }

  struct Seen {
    std::vector<uint64_t> seeds;
    uint64_t digest = 0;
  };
  std::map<std::vector<int>, Seen> outcomes;
  for (int i = 0; i < seeds; ++i) {
    const uint64_t seed = first + static_cast<uint64_t>(i);
    auto result = weft::sim::run(weft::examples::bank_race(),
                                 weft::sim::SimConfig{.seed = seed, .strategy = *strategy});
    Seen& seen = outcomes[result.value()];
    if (seen.seeds.empty()) seen.digest = result.digest;
    seen.seeds.push_back(seed);
  }

  std::printf("bank race: accounts a=100, b=100; transfers a->b 30, b->a 20, a->b 10 (total 200)\n");
  std::printf("%d seeds from %llu, strategy %s: %zu distinct outcome%s\n", seeds,
              static_cast<unsigned long long>(first), weft::sim::strategy_name(*strategy),
              outcomes.size(), outcomes.size() == 1 ? "" : "s");
  for (const auto& [balances, seen] : outcomes) {
    const int total = balances[0] + balances[1];
    std::vector<uint64_t> shown(seen.seeds.begin(),
                                seen.seeds.begin() + std::min<size_t>(seen.seeds.size(), 8));
    std::printf("  a=%d b=%d total=%d%s: %zu seeds (%s%s), first digest %016llx\n", balances[0],
                balances[1], total, total == 200 ? " (correct)" : " (lost update)",
                seen.seeds.size(), absl::StrJoin(shown, ", ").c_str(),
                seen.seeds.size() > shown.size() ? ", ..." : "",
                static_cast<unsigned long long>(seen.digest));
  }
  return 0;
}
