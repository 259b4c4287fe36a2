// resolve_write_buffer_limits: asyncio's _set_write_buffer_limits, shared by every world's write
// transports so each resolves the defaults and rejects bad marks with the same ValueError.
#ifndef WEFT_RUNTIME_IO_INTERNAL_WRITE_LIMITS_H_
#define WEFT_RUNTIME_IO_INTERNAL_WRITE_LIMITS_H_

#include <cstddef>
#include <optional>

namespace weft::io_internal {

struct WriteLimits {
  size_t high;
  size_t low;
};

// high defaults to 4 * low (64 KiB when both are missing), low to high // 4. ValueError("high
// (H) must be >= low (L) must be >= 0") unless high >= low >= 0. Signed on purpose: a -1 must be
// refused, not read as 2^64 - 1.
WriteLimits resolve_write_buffer_limits(std::optional<long> high, std::optional<long> low);

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_WRITE_LIMITS_H_
