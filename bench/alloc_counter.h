// A counting global allocator for the benchmark binaries (weft's and the peers'): every
// operator new / delete goes through malloc/free and is tallied, so a benchmark can report
// allocations per operation and live bytes (malloc_usable_size) — the W8 memory figure.
// Single-threaded benchmarks only: the counters are plain globals.
#ifndef WEFT_BENCH_ALLOC_COUNTER_H_
#define WEFT_BENCH_ALLOC_COUNTER_H_

#include <cstddef>
#include <cstdint>

namespace weft_bench {

struct AllocStats {
  uint64_t allocations = 0;    // operator new calls so far
  uint64_t requested = 0;      // bytes requested by those calls
  int64_t live_usable = 0;     // malloc_usable_size of the blocks still alive
};

// The running totals (defined in alloc_counter.cc, which replaces operator new/delete).
AllocStats alloc_stats();

}  // namespace weft_bench

#endif  // WEFT_BENCH_ALLOC_COUNTER_H_
