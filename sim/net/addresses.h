// Numeric IPv4/IPv6 address helpers for the simulated network (inet_pton/inet_ntop only: pure
// functions, no resolver, no I/O).
#ifndef WEFT_SIM_NET_ADDRESSES_H_
#define WEFT_SIM_NET_ADDRESSES_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace weft::sim::net_internal {

// (family, normalised text) of a numeric address, nullopt for anything else.
std::optional<std::pair<int, std::string>> parse_numeric(std::string_view text);
// 127.0.0.0/8 and ::1.
bool is_loopback(const std::string& address);
// 0.0.0.0 and ::.
bool is_wildcard(const std::string& address);
// AF_INET6 for an address with a ':', else AF_INET (for normalised addresses).
int family_of(const std::string& address);

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_ADDRESSES_H_
