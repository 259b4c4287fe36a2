// weft::SourceLocation: the call site of buggify() and friends. std::source_location is missing
// with clang 14 on libstdc++ 12, so this uses the __builtin_FILE/LINE both compilers have
// (g++ 12 has no __builtin_COLUMN: two call sites on one line are one site).
#ifndef WEFT_RUNTIME_SOURCE_LOCATION_H_
#define WEFT_RUNTIME_SOURCE_LOCATION_H_

#include <cstdint>

namespace weft {

struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          uint32_t line = __builtin_LINE()) noexcept {
    return SourceLocation{file, line};
  }
  const char* file_name() const noexcept { return file; }
  uint32_t line_number() const noexcept { return line; }

  const char* file = "";
  uint32_t line = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SOURCE_LOCATION_H_
