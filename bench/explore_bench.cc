// W6 exploration rate: complete tiny simulated runs per second — a fresh SimLoop per seed, two
// tasks racing on a counter (read, yield, write), run, digest, tear down — the inner loop of a
// seed sweep with Strategy::kRandom. Items: runs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>

#include "bench/bench_util.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace weft_bench {
namespace {

weft::Task<void> increment(int& counter) {
  int seen = counter;
  co_await weft::sleep(0);
  counter = seen + 1;
}

weft::Task<int> race() {
  int counter = 0;
  // Named locals: g++ 12 may destroy temporaries of a co_await full-expression twice.
  weft::Task<void> first = increment(counter);
  weft::Task<void> second = increment(counter);
  auto both = weft::gather(std::move(first), std::move(second));
  co_await std::move(both);
  co_return counter;
}

void BM_W6(benchmark::State& state) {
  OpCounter counter(state);
  const int64_t runs = w6_runs_per_iteration();
  uint64_t seed = 0;
  uint64_t lost_updates = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < runs; ++i) {
      auto result = weft::sim::run(race(), {.seed = ++seed, .strategy = weft::sim::Strategy::kRandom});
      if (!result.ok()) state.SkipWithError("simulated run failed");
      if (result.value() != 2) ++lost_updates;
      benchmark::DoNotOptimize(result.digest);
    }
  }
  // The race is real: some seeds lose an update (a sanity check that the schedule varies).
  state.counters["lost_update_fraction"] =
      static_cast<double>(lost_updates) / static_cast<double>(seed);
  counter.finish(runs);
}

BENCHMARK(BM_W6)->Name("W6/weft_sim")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft_bench
