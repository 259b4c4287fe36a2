// weft::Random: the loop's random generator (weft::random()). On the simulated loop every draw is
// a recorded choice, so a seed fixes it and replay reproduces it; on the real loop it is seeded
// from the OS. Never use std::*_distribution or rand() in code that must run simulated.
#ifndef WEFT_RUNTIME_RANDOM_H_
#define WEFT_RUNTIME_RANDOM_H_

#include <cstdint>

namespace weft {

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, n); n must be > 0.
  virtual uint64_t below(uint64_t n) = 0;
  // 64 uniformly random bits.
  virtual uint64_t next_u64() = 0;

  // Uniform in [lo, hi] (inclusive). ValueError when hi < lo (Python's randint too).
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 bits of precision.
  double uniform_real() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // True with probability p.
  bool chance(double p) { return p > 0 && (p >= 1 || uniform_real() < p); }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_RANDOM_H_
