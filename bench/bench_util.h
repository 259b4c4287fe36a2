// Shared by weft's benchmarks and the C++ peers: workload sizes (full, or tiny under
// WEFT_BENCH_QUICK=1 so CI can run every benchmark in a second) and the counters every
// benchmark reports, so bench/compare can read one shape of JSON from all of them.
#ifndef WEFT_BENCH_BENCH_UTIL_H_
#define WEFT_BENCH_BENCH_UTIL_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "alloc_counter.h"

namespace weft_bench {

// WEFT_BENCH_QUICK=1 (set by the CI smoke test): every size divided by 1000.
// WEFT_BENCH_SCALE=N: every size divided by N (for profiling under callgrind).
inline bool quick() {
  const char* v = std::getenv("WEFT_BENCH_QUICK");
  return v && *v && std::strcmp(v, "0") != 0;
}
inline int64_t divisor() {
  if (quick()) return 1000;
  const char* v = std::getenv("WEFT_BENCH_SCALE");
  const int64_t n = v ? std::atoll(v) : 1;
  return n > 1 ? n : 1;
}
inline int64_t scaled(int64_t full) {
  const int64_t q = full / divisor();
  return q < 10 ? 10 : q;
}

// The workload sizes of bench/RESULTS.md.
inline int64_t w1_tasks() { return scaled(1'000'000); }
constexpr int64_t kW1Batch = 1000;
inline int64_t w3a_tasks() { return quick() ? 10 : scaled(10'000); }
constexpr int64_t kW3aYields = 100;
inline int64_t w3b_timers() { return scaled(1'000'000); }
inline int64_t w4_depth() { return scaled(1'000'000); }
inline int64_t w2_messages() { return scaled(1'000'000); }
inline int64_t w8_tasks() { return scaled(1'000'000); }
inline int64_t w6_runs_per_iteration() { return quick() ? 10 : scaled(1000); }

// W3b: the deadline of timer i, in microseconds (spread over [1 us, 1 ms], not in creation
// order), and whether it is one of the third cancelled before it fires.
inline int64_t w3b_delay_us(int64_t i) { return 1 + (i * 7919) % 1000; }
inline bool w3b_cancelled(int64_t i) { return i % 3 == 0; }

// Reports `items` operations per iteration plus allocations per operation.
class OpCounter {
 public:
  explicit OpCounter(benchmark::State& state) : state_(state), start_(alloc_stats()) {}
  void finish(int64_t items_per_iteration) {
    const int64_t items = items_per_iteration * static_cast<int64_t>(state_.iterations());
    state_.SetItemsProcessed(items);
    const AllocStats end = alloc_stats();
    state_.counters["allocs_per_item"] =
        static_cast<double>(end.allocations - start_.allocations) / static_cast<double>(items);
    state_.counters["bytes_per_item"] =
        static_cast<double>(end.requested - start_.requested) / static_cast<double>(items);
  }

 private:
  benchmark::State& state_;
  AllocStats start_;
};

}  // namespace weft_bench

#endif  // WEFT_BENCH_BENCH_UTIL_H_
