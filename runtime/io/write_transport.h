// weft::WriteTransport: asyncio.WriteTransport — the sending half. write() never blocks: what the
// kernel does not take is buffered, and the protocol's pause_writing / resume_writing fire when
// the buffer crosses the high / low water marks (defaults 64 KiB / 16 KiB, as asyncio).
#ifndef WEFT_RUNTIME_IO_WRITE_TRANSPORT_H_
#define WEFT_RUNTIME_IO_WRITE_TRANSPORT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/io/base_transport.h"

namespace weft {

inline constexpr size_t kDefaultHighWater = 64 * 1024;
inline constexpr size_t kDefaultLowWater = 16 * 1024;

class WriteTransport : public virtual BaseTransport {
 public:
  // Queues `data`. Throws RuntimeError after write_eof(); silently drops data once the
  // connection is lost (asyncio logs a warning instead).
  virtual void write(std::string_view data) = 0;
  virtual void writelines(const std::vector<std::string>& lines) {
    for (const auto& l : lines) write(l);
  }
  // Closes the write side after the buffer is flushed (shutdown(SHUT_WR) on a socket).
  virtual void write_eof() = 0;
  virtual bool can_write_eof() const = 0;
  // Closes at once, dropping buffered data; connection_lost gets a null exception.
  virtual void abort() = 0;
  // high == 0 && low == 0 means "no buffering before pause". Throws ValueError unless
  // high >= low >= 0. Default arguments follow asyncio (high = 4 * low, low = high // 4).
  // Implementations resolve them with io_internal::resolve_write_buffer_limits.
  virtual void set_write_buffer_limits(std::optional<long> high = std::nullopt,
                                       std::optional<long> low = std::nullopt) = 0;
  virtual std::pair<size_t, size_t> get_write_buffer_limits() const = 0;  // (low, high)
  virtual size_t get_write_buffer_size() const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_WRITE_TRANSPORT_H_
