#include "sim/net/addresses.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace weft::sim::net_internal {

std::optional<std::pair<int, std::string>> parse_numeric(std::string_view text) {
  const std::string s(text);
  char buf[INET6_ADDRSTRLEN];
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    inet_ntop(AF_INET, &a4, buf, sizeof(buf));
    return std::make_pair(AF_INET, std::string(buf));
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
    return std::make_pair(AF_INET6, std::string(buf));
  }
  return std::nullopt;
}

bool is_loopback(const std::string& address) {
  return address == "::1" || address.rfind("127.", 0) == 0;
}

bool is_wildcard(const std::string& address) { return address == "0.0.0.0" || address == "::"; }

int family_of(const std::string& address) {
  return address.find(':') == std::string::npos ? AF_INET : AF_INET6;
}

}  // namespace weft::sim::net_internal
