// Shared by the C++ peer programs of bench/compare: the workload sizes (the same as
// bench/bench_util.h), a CPU/wall stopwatch, and the one line every peer prints per workload:
//   RESULT <workload> items=<n> cpu_s=<seconds> wall_s=<seconds> [key=value ...]
// bench/compare divides items by CPU seconds, exactly as it reads weft's Google Benchmark JSON.
#ifndef WEFT_BENCH_PEERS_PEER_UTIL_H_
#define WEFT_BENCH_PEERS_PEER_UTIL_H_

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace peer {

inline bool quick() {
  const char* v = std::getenv("WEFT_BENCH_QUICK");
  return v && *v && std::strcmp(v, "0") != 0;
}
inline int64_t scaled(int64_t full) {
  if (!quick()) return full;
  int64_t q = full / 1000;
  return q < 10 ? 10 : q;
}
inline int64_t w1_tasks() { return scaled(1'000'000); }
constexpr int64_t kW1Batch = 1000;
inline int64_t w2_messages() { return scaled(1'000'000); }
inline int64_t w3a_tasks() { return quick() ? 10 : 10'000; }
constexpr int64_t kW3aYields = 100;
inline int64_t w3b_timers() { return scaled(1'000'000); }
inline int64_t w4_depth() { return scaled(1'000'000); }
inline int64_t w3b_delay_us(int64_t i) { return 1 + (i * 7919) % 1000; }
inline bool w3b_cancelled(int64_t i) { return i % 3 == 0; }

inline double seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Stopwatch {
 public:
  Stopwatch() : cpu_(seconds(CLOCK_PROCESS_CPUTIME_ID)), wall_(seconds(CLOCK_MONOTONIC)) {}
  // Prints the RESULT line for `items` operations since construction.
  void report(const char* workload, int64_t items, const std::string& extra = {}) const {
    const double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_;
    const double wall = seconds(CLOCK_MONOTONIC) - wall_;
    std::printf("RESULT %s items=%lld cpu_s=%.6f wall_s=%.6f%s%s\n", workload,
                static_cast<long long>(items), cpu, wall, extra.empty() ? "" : " ", extra.c_str());
    std::fflush(stdout);
  }

 private:
  double cpu_;
  double wall_;
};

// True when `name` is selected by argv (no workload arguments: all are).
inline bool selected(int argc, char** argv, const char* name) {
  if (argc <= 1) return true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

// A failed self-check: the figure would be meaningless, so say so and stop.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "peer self-check failed: %s\n", what);
  std::exit(1);
}

}  // namespace peer

#endif  // WEFT_BENCH_PEERS_PEER_UTIL_H_
