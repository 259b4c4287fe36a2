#include "runtime/io/socket_address.h"

#include "absl/strings/str_cat.h"

namespace weft {

std::string SocketAddress::to_string() const {
  if (family == AF_INET6) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace weft
