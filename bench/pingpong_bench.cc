// W2 ping-pong: two tasks bounce an integer through two weft::Queue<int64_t>s; 1,000,000
// messages (500,000 round trips). Items: messages.
#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "bench/worlds.h"
#include "runtime/sync/queue.h"
#include "runtime/weft.h"

namespace weft_bench {
namespace {

weft::Task<void> ponger(weft::Queue<int64_t>& in, weft::Queue<int64_t>& out, int64_t rounds) {
  for (int64_t i = 0; i < rounds; ++i) {
    int64_t v = co_await in.get();
    co_await out.put(v + 1);
  }
}

weft::Task<int64_t> pingpong(int64_t messages) {
  weft::Queue<int64_t> ping;
  weft::Queue<int64_t> pong;
  const int64_t rounds = messages / 2;
  auto other = weft::create_task(ponger(ping, pong, rounds));
  int64_t v = 0;
  for (int64_t i = 0; i < rounds; ++i) {
    co_await ping.put(v);
    v = co_await pong.get();
  }
  co_await other;
  co_return v;
}

void BM_W2(benchmark::State& state, World w) {
  OpCounter counter(state);
  const int64_t n = w2_messages();
  for (auto _ : state) {
    if (run_in(w, pingpong(n)) != n / 2) state.SkipWithError("wrong ping-pong result");
  }
  counter.finish(n / 2 * 2);
}

BENCHMARK_CAPTURE(BM_W2, real, World::kReal)->Name("W2/weft_real")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_W2, sim, World::kSim)->Name("W2/weft_sim")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft_bench
