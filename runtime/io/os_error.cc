#include "runtime/io/os_error.h"

#include <errno.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/io/process_lookup_error.h"

namespace weft {

std::exception_ptr make_os_error(int err, const std::string& what, const std::string& peer) {
  // Python's form, "[Errno 104] Connection reset by peer", then the context (unless it only
  // repeats the strerror text) and the peer, each once.
  const char* text = std::strerror(err);
  std::string msg = absl::StrCat("[Errno ", err, "] ", text);
  if (!what.empty() && what != text) absl::StrAppend(&msg, ": ", what);
  if (!peer.empty()) absl::StrAppend(&msg, " (peer ", peer, ")");
  switch (err) {
    case ECONNREFUSED:
      return std::make_exception_ptr(ConnectionRefusedError(err, msg, peer));
    case ECONNRESET:
      return std::make_exception_ptr(ConnectionResetError(err, msg, peer));
    case ECONNABORTED:
      return std::make_exception_ptr(ConnectionAbortedError(err, msg, peer));
    case EPIPE:
    case ESHUTDOWN:
      return std::make_exception_ptr(BrokenPipeError(err, msg, peer));
    case ENOENT:
      return std::make_exception_ptr(FileNotFoundError(err, msg));
    case ESRCH:
      return std::make_exception_ptr(ProcessLookupError(err, msg));
    default:
      return std::make_exception_ptr(OSError(err, msg));
  }
}

void throw_os_error(int err, const std::string& what, const std::string& peer) {
  std::rethrow_exception(make_os_error(err, what, peer));
}

}  // namespace weft
