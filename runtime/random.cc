#include "runtime/random.h"

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft {

int64_t Random::uniform_int(int64_t lo, int64_t hi) {
  // Unchecked, hi < lo made the span wrap to nearly 2^64 and returned any int64.
  if (hi < lo) throw ValueError(absl::StrCat("uniform_int: empty range [", lo, ", ", hi, "]"));
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next_u64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + below(span + 1));
}

}  // namespace weft
