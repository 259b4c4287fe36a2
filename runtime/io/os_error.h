// make_os_error: the exception asyncio would raise for an errno — ConnectionRefusedError,
// ConnectionResetError, ConnectionAbortedError, BrokenPipeError (with the peer), FileNotFoundError,
// else OSError — so both worlds report failures with the same types.
#ifndef WEFT_RUNTIME_IO_OS_ERROR_H_
#define WEFT_RUNTIME_IO_OS_ERROR_H_

#include <exception>
#include <string>

namespace weft {

// The message is "[Errno N] <strerror>", then ": <what>" unless `what` is empty or the strerror
// text itself, then " (peer <peer>)" when a peer ("127.0.0.1:80") is given; the peer also goes
// to ConnectionError::peer. E.g. "[Errno 104] Connection reset by peer (peer 127.0.0.1:5555)".
std::exception_ptr make_os_error(int err, const std::string& what, const std::string& peer = {});
[[noreturn]] void throw_os_error(int err, const std::string& what, const std::string& peer = {});

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_OS_ERROR_H_
