// W3 yield: (a) 10,000 tasks x 100 sleep(0) — items: yields; (b) 1,000,000 tasks each sleeping
// on a timer with a spread deadline, a third cancelled (by cancelling the task) after the timer
// is armed and before it fires, outcomes collected with wait() — items: timers.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bench_util.h"
#include "bench/worlds.h"
#include "runtime/weft.h"

namespace weft_bench {
namespace {

weft::Task<void> yielder(int64_t yields) {
  for (int64_t i = 0; i < yields; ++i) co_await weft::sleep(0);
}

weft::Task<int64_t> yield_all(int64_t tasks, int64_t yields) {
  std::vector<weft::Task<void>> all;
  all.reserve(tasks);
  for (int64_t i = 0; i < tasks; ++i) all.push_back(yielder(yields));
  co_await weft::gather(std::move(all));
  co_return tasks * yields;
}

weft::Task<void> sleeper(int64_t delay_us) {
  co_await weft::sleep(std::chrono::microseconds(delay_us));
}

weft::Task<int64_t> timers(int64_t n) {
  std::vector<weft::TaskHandle<void>> handles;
  handles.reserve(n);
  for (int64_t i = 0; i < n; ++i) handles.push_back(weft::create_task(sleeper(w3b_delay_us(i))));
  // A timer due before any sleeper's: on both loops (and under the random strategy) main
  // resumes only after every sleeper has run its first step and armed its timer.
  co_await weft::sleep(std::chrono::nanoseconds(1));
  for (int64_t i = 0; i < n; ++i) {
    if (w3b_cancelled(i)) handles[i].cancel();
  }
  // Collect the outcomes with wait() (asyncio.wait), as the peers read theirs from completion
  // handlers: awaiting each handle would raise every CancelledError a second time.
  auto all = weft::wait(std::move(handles));
  weft::WaitResult<weft::TaskHandle<void>> outcome = co_await std::move(all);
  int64_t fired = 0;
  for (auto& h : outcome.done) {
    if (!h.cancelled()) ++fired;
  }
  co_return fired;
}

void BM_W3a(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t tasks = w3a_tasks();
  for (auto _ : state) benchmark::DoNotOptimize(run_in(w, yield_all(tasks, kW3aYields)));
  counter.finish(tasks * kW3aYields);
}

void BM_W3b(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t n = w3b_timers();
  for (auto _ : state) {
    int64_t fired = run_in(w, timers(n));
    if (fired != n - (n + 2) / 3) state.SkipWithError("wrong number of timers fired");
  }
  counter.finish(n);
}

BENCHMARK_CAPTURE(BM_W3a, real, World::kReal)->Name("W3a/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W3a, sim, World::kSim)->Name("W3a/weft_sim")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W3b, real, World::kReal)->Name("W3b/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W3b, sim, World::kSim)->Name("W3b/weft_sim")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft_bench
