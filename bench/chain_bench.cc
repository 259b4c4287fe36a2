// W4 deep chain: one task awaits a chain of 1,000,000 nested coroutines (symmetric transfer: the
// stack does not grow). Items: levels.
#include <benchmark/benchmark.h>

#include <utility>

#include "bench/bench_util.h"
#include "bench/worlds.h"
#include "runtime/weft.h"

namespace weft_bench {
namespace {

weft::Task<int64_t> chain(int64_t depth) {
  if (depth == 0) co_return 0;
  weft::Task<int64_t> inner = chain(depth - 1);
  co_return co_await std::move(inner) + 1;
}

void BM_W4(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t depth = w4_depth();
  for (auto _ : state) {
    if (run_in(w, chain(depth)) != depth) state.SkipWithError("wrong chain result");
  }
  counter.finish(depth);
}

BENCHMARK_CAPTURE(BM_W4, real, World::kReal)->Name("W4/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W4, sim, World::kSim)->Name("W4/weft_sim")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft_bench
