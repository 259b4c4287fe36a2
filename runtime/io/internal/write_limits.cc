#include "runtime/io/internal/write_limits.h"

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/write_transport.h"

namespace weft::io_internal {

WriteLimits resolve_write_buffer_limits(std::optional<long> high, std::optional<long> low) {
  long h;
  if (high) {
    h = *high;
  } else {
    h = low ? 4 * *low : static_cast<long>(kDefaultHighWater);
  }
  // Python's floor division, so a negative high reports the same low as asyncio.
  long l = low ? *low : (h >= 0 ? h / 4 : -((-h + 3) / 4));
  if (!(h >= l && l >= 0)) {
    throw ValueError(absl::StrCat("high (", h, ") must be >= low (", l, ") must be >= 0"));
  }
  return {static_cast<size_t>(h), static_cast<size_t>(l)};
}

}  // namespace weft::io_internal
