// Runs one benchmark workload on either world: weft::run (the epoll loop) or weft::sim::run (the
// simulated loop, random strategy, digest on — the configuration of a seed sweep).
#ifndef WEFT_BENCH_WORLDS_H_
#define WEFT_BENCH_WORLDS_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "runtime/run.h"
#include "runtime/task.h"
#include "sim/run.h"

namespace weft_bench {

enum class World { kReal, kSim };

inline const char* world_name(World w) { return w == World::kReal ? "weft_real" : "weft_sim"; }

// Runs `main` to completion on a fresh loop of world `w`; returns main's value. A failure aborts
// the benchmark (a benchmark that silently measures an exception is worse than none).
template <class T>
T run_in(World w, weft::Task<T> main, uint64_t seed = 1) {
  if (w == World::kReal) return weft::run(std::move(main));
  auto result = weft::sim::run(std::move(main),
                               {.seed = seed, .strategy = weft::sim::Strategy::kRandom});
  if (!result.ok()) {
    try {
      std::rethrow_exception(result.error());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sim run failed: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "sim run failed (non-std exception)\n");
    }
    std::abort();
  }
  if constexpr (std::is_void_v<T>) {
    return;
  } else {
    return std::move(result.value());
  }
}

}  // namespace weft_bench

#endif  // WEFT_BENCH_WORLDS_H_
