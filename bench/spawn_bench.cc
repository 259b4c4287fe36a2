// W1 spawn: create and await 1,000,000 trivial tasks, (a) in batches of 1,000 through gather,
// (b) one at a time with create_task + co_await. Items: tasks.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bench_util.h"
#include "bench/worlds.h"
#include "runtime/weft.h"

namespace weft_bench {
namespace {

weft::Task<void> trivial() { co_return; }

weft::Task<int64_t> gather_batches(int64_t total) {
  int64_t done = 0;
  while (done < total) {
    std::vector<weft::Task<void>> batch;
    batch.reserve(kW1Batch);
    for (int64_t i = 0; i < kW1Batch && done + i < total; ++i) batch.push_back(trivial());
    auto results = co_await weft::gather(std::move(batch));
    done += static_cast<int64_t>(results.size());
  }
  co_return done;
}

weft::Task<int64_t> create_and_await(int64_t total) {
  for (int64_t i = 0; i < total; ++i) {
    auto handle = weft::create_task(trivial());
    co_await handle;
  }
  co_return total;
}

void BM_W1a(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t n = w1_tasks();
  for (auto _ : state) benchmark::DoNotOptimize(run_in(w, gather_batches(n)));
  counter.finish(n);
}

void BM_W1b(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t n = w1_tasks();
  for (auto _ : state) benchmark::DoNotOptimize(run_in(w, create_and_await(n)));
  counter.finish(n);
}

BENCHMARK_CAPTURE(BM_W1a, real, World::kReal)->Name("W1a/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W1a, sim, World::kSim)->Name("W1a/weft_sim")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W1b, real, World::kReal)->Name("W1b/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W1b, sim, World::kSim)->Name("W1b/weft_sim")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft_bench
