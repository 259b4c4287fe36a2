// W8 memory: 1,000,000 concurrent sleeping tasks. Reports the bytes each task holds beyond its
// coroutine frame: live heap bytes (malloc_usable_size, counted by bench/alloc_counter.cc) with
// every task asleep, minus the baseline, divided by the task count, minus the size of one bare
// frame of the same coroutine (measured the same way). Includes the loop's share: the timer
// heap entry, the task registry, the sleep future and timer handle. The handle vector is
// reserved before the baseline, so it is not counted.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/alloc_counter.h"
#include "bench/bench_util.h"
#include "bench/worlds.h"
#include "runtime/weft.h"

namespace weft_bench {
namespace {

weft::Task<void> sleeper() { co_await weft::sleep(3600.0); }

struct Footprint {
  double bytes_per_task = 0;  // live bytes per sleeping task, frame included
  double allocs_per_task = 0;
};

weft::Task<Footprint> sleep_many(int64_t n) {
  std::vector<weft::TaskHandle<void>> handles;
  handles.reserve(n);
  const AllocStats before = alloc_stats();
  for (int64_t i = 0; i < n; ++i) handles.push_back(weft::create_task(sleeper()));
  // Due before any sleeper's timer: main resumes once every task has run its first step and
  // sleeps on its timer (on both loops, whatever the strategy picks).
  co_await weft::sleep(std::chrono::nanoseconds(1));
  const AllocStats asleep = alloc_stats();
  for (auto& h : handles) h.cancel();
  for (auto& h : handles) {
    try {
      co_await h;
    } catch (const weft::CancelledError&) {
      // Every sleeper ends cancelled; that is how the benchmark stops them.
    }
  }
  co_return Footprint{
      static_cast<double>(asleep.live_usable - before.live_usable) / static_cast<double>(n),
      static_cast<double>(asleep.allocations - before.allocations) / static_cast<double>(n)};
}

// The usable size of one frame of sleeper(), created and destroyed without running.
int64_t frame_bytes() {
  const AllocStats before = alloc_stats();
  auto task = sleeper();
  const int64_t bytes = alloc_stats().live_usable - before.live_usable;
  benchmark::DoNotOptimize(task);
  return bytes;
}

void BM_W8(benchmark::State& state, World w) {
  const int64_t n = w8_tasks();
  const int64_t frame = frame_bytes();
  Footprint f;
  for (auto _ : state) f = run_in(w, sleep_many(n));
  state.counters["frame_bytes"] = static_cast<double>(frame);
  state.counters["bytes_per_task"] = f.bytes_per_task;
  state.counters["beyond_frame_bytes"] = f.bytes_per_task - static_cast<double>(frame);
  state.counters["allocs_per_task"] = f.allocs_per_task;
  state.SetItemsProcessed(n * static_cast<int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_W8, real, World::kReal)
    ->Name("W8/weft_real")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_W8, sim, World::kSim)
    ->Name("W8/weft_sim")->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace weft_bench
