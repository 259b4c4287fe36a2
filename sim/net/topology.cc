// The topology: the host table, name resolution, links, cuts, clogs, hosts up and down, choices
// and random faults. The TCP engine is in tcp.cc, UDP in udp.cc, their composition in fabric.cc.
#include "sim/net/topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "runtime/errors.h"
#include "runtime/io/os_error.h"
#include "runtime/task_handle.h"
#include "sim/net/addresses.h"
#include "sim/sim_loop.h"

namespace weft::sim::net_internal {
namespace {

// socket.gaierror's text ("[Errno -2] Name or service not known"), the name asked for, and
// `hint`: what the simulated network does have.
[[noreturn]] void throw_gai(int rc, std::string_view host, std::string_view hint) {
  throw OSError(rc, absl::StrCat("[Errno ", rc, "] ", gai_strerror(rc), ": '", std::string(host),
                                 "' (", std::string(hint), ")"));
}

std::string auto_address(HostId id, int family) {
  const uint32_t n = id + 1;
  if (family == AF_INET) return absl::StrCat("10.0.", (n >> 8) & 0xff, ".", n & 0xff);
  return absl::StrFormat("fd00::%x", n);
}

}  // namespace

Topology::Topology(SimLoop& loop) : loop_(loop) {
  add_host("default", {"10.0.0.1", "fd00::1"});
}

void Topology::attach(Attached* a) {
  a->registry_ = this;
  a->reg_id_ = ++next_id_;
  attached_[a->reg_id_] = a;
}

void Topology::forget(Attached* a) { attached_.erase(a->reg_id_); }

void Topology::detach_all(Graveyard& graveyard) {
  auto attached = std::move(attached_);
  attached_.clear();
  for (auto& [id, a] : attached) {
    a->registry_ = nullptr;
    a->detach(graveyard);
  }
}

// ---- Hosts ----

HostId Topology::add_host(std::string name, std::vector<std::string> addresses) {
  if (name.empty()) throw ValueError("add_host: empty host name");
  if (name == "localhost" || by_name_.contains(name)) {
    throw ValueError(absl::StrCat("add_host: host name '", name, "' is taken"));
  }
  const auto id = static_cast<HostId>(hosts_.size());
  if (addresses.empty()) addresses = {auto_address(id, AF_INET), auto_address(id, AF_INET6)};
  std::vector<std::string> normal;
  for (const auto& a : addresses) {
    auto parsed = parse_numeric(a);
    if (!parsed) throw ValueError(absl::StrCat("add_host: '", a, "' is not a numeric address"));
    if (is_loopback(parsed->second) || is_wildcard(parsed->second)) {
      throw ValueError(absl::StrCat("add_host: '", a, "' is a loopback or wildcard address"));
    }
    if (by_address_.contains(parsed->second) ||
        std::find(normal.begin(), normal.end(), parsed->second) != normal.end()) {
      throw ValueError(absl::StrCat("add_host: address ", parsed->second, " is taken"));
    }
    normal.push_back(parsed->second);
  }
  Host h;
  h.name = name;
  h.addresses = normal;
  hosts_.push_back(std::move(h));
  by_name_[name] = id;
  for (const auto& a : normal) by_address_[a] = id;
  return id;
}

void Topology::assign_group(uint16_t group, HostId host) {
  if (host >= hosts_.size()) throw ValueError(absl::StrCat("assign_group: no host ", host));
  if (group == 0) throw ValueError("assign_group: group 0 always belongs to the default host");
  groups_[group] = host;
}

HostId Topology::current_host() const {
  const uint16_t g = loop_.current_group();
  if (g == 0) return 0;
  auto it = groups_.find(g);
  return it == groups_.end() ? 0 : it->second;
}

HostId Topology::current_host_up() const {
  const HostId h = current_host();
  if (!hosts_[h].up) {
    throw_os_error(ENETDOWN, absl::StrCat("host '", hosts_[h].name, "' is down"));
  }
  return h;
}

const Host& Topology::host(HostId id) const {
  if (id >= hosts_.size()) throw ValueError(absl::StrCat("no host ", id));
  return hosts_[id];
}

std::optional<HostId> Topology::find_host(std::string_view name_or_address) const {
  if (auto it = by_name_.find(std::string(name_or_address)); it != by_name_.end()) {
    return it->second;
  }
  if (auto parsed = parse_numeric(name_or_address)) {
    if (auto it = by_address_.find(parsed->second); it != by_address_.end()) return it->second;
  }
  return std::nullopt;
}

std::string Topology::known_hosts() const {
  // In host-id order (the order they were added), so the text is the same on every run.
  constexpr size_t kMost = 16;
  std::vector<std::string> names;
  for (size_t i = 0; i < hosts_.size() && i < kMost; ++i) names.push_back(hosts_[i].name);
  std::string out = absl::StrCat("the simulated network has no such host; its hosts are ",
                                 absl::StrJoin(names, ", "));
  if (hosts_.size() > kMost) absl::StrAppend(&out, " and ", hosts_.size() - kMost, " more");
  absl::StrAppend(&out, ", plus localhost and numeric addresses");
  return out;
}

std::vector<AddrInfo> Topology::resolve(std::string_view name, int port, int family, int socktype,
                                      int flags) const {
  std::vector<std::string> candidates;
  bool numeric = false;
  if (name.empty()) {
    candidates = (flags & AI_PASSIVE) ? std::vector<std::string>{"0.0.0.0", "::"}
                                      : std::vector<std::string>{"127.0.0.1", "::1"};
  } else if (auto parsed = parse_numeric(name)) {
    candidates = {parsed->second};
    numeric = true;
  } else if (name == "localhost") {
    candidates = {"127.0.0.1", "::1"};
  } else if (auto it = by_name_.find(std::string(name)); it != by_name_.end()) {
    candidates = hosts_[it->second].addresses;
  } else {
    throw_gai(EAI_NONAME, name, known_hosts());
  }
  std::vector<AddrInfo> out;
  for (const auto& a : candidates) {
    const int fam = family_of(a);
    if (family != AF_UNSPEC && family != fam) continue;
    AddrInfo info;
    info.family = fam;
    info.socktype = socktype;
    info.protocol = socktype == SOCK_DGRAM    ? IPPROTO_UDP
                    : socktype == SOCK_STREAM ? IPPROTO_TCP
                                              : 0;
    info.address = SocketAddress{fam, a, port};
    out.push_back(std::move(info));
  }
  if (out.empty()) {
    throw_gai(numeric ? EAI_ADDRFAMILY : EAI_NODATA, name,
              absl::StrCat("it has ", absl::StrJoin(candidates, ", "), "; asked for ",
                           family == AF_INET ? "AF_INET" : "AF_INET6"));
  }
  return out;
}

HostId Topology::route(HostId from, const std::string& address) const {
  if (is_loopback(address) || is_wildcard(address)) return from;
  auto it = by_address_.find(address);
  return it == by_address_.end() ? kNoHost : it->second;
}

std::string Topology::source_address(HostId from, const SocketAddress& to) const {
  if (is_loopback(to.host) || is_wildcard(to.host)) {
    return to.family == AF_INET6 ? "::1" : "127.0.0.1";
  }
  for (const auto& a : hosts_[from].addresses) {
    if (family_of(a) == to.family) return a;
  }
  throw_os_error(ENETUNREACH, "Connect call failed", to.to_string());
}

bool Topology::owns(HostId host, const std::string& address) const {
  if (is_loopback(address) || is_wildcard(address)) return true;
  const auto& addrs = hosts_[host].addresses;
  return std::find(addrs.begin(), addrs.end(), address) != addrs.end();
}

int Topology::pick_port(HostId host, const absl::btree_map<int, int>& used) {
  Host& h = hosts_[host];
  for (int i = 0; i <= 60999 - 32768; ++i) {
    const int p = h.next_port;
    h.next_port = p == 60999 ? 32768 : p + 1;
    if (!used.contains(p)) return p;
  }
  throw_os_error(EADDRNOTAVAIL, "no free ephemeral port");
}

// ---- Links, cuts, clogs ----

void Topology::set_link(HostId a, HostId b, const LinkConfig& link) {
  host(a);
  host(b);
  links_[std::minmax(a, b)] = link;
}

const LinkConfig& Topology::link(HostId a, HostId b) const {
  if (auto it = links_.find(std::minmax(a, b)); it != links_.end()) return it->second;
  return a == b ? config.loopback : config.link;
}

int64_t Topology::occupy_link(HostId src, HostId dst, uint64_t bytes, int64_t start) {
  const LinkConfig& l = link(src, dst);
  int64_t& free = link_free_ns_[{src, dst}];
  start = std::max(start, free);
  start += static_cast<int64_t>((bytes * 1'000'000'000ull + l.bandwidth - 1) / l.bandwidth);
  free = start;
  return start;
}

void Topology::partition(const std::vector<HostId>& a, const std::vector<HostId>& b,
                       bool both_ways) {
  for (HostId x : a) host(x);
  for (HostId y : b) host(y);
  for (HostId x : a) {
    for (HostId y : b) {
      if (x == y) continue;
      cuts_.insert({x, y});
      if (both_ways) cuts_.insert({y, x});
    }
  }
  report_fault(FaultKind::kPartition, 0,
               absl::StrCat(host_names(a), both_ways ? " <-> " : " -> ", host_names(b)));
}

std::string Topology::host_names(const std::vector<HostId>& ids) const {
  std::vector<std::string> names;
  for (HostId h : ids) names.push_back(h < hosts_.size() ? hosts_[h].name : absl::StrCat("#", h));
  return absl::StrJoin(names, ",");
}

void Topology::report_fault(FaultKind kind, uint64_t subject, std::string_view detail) {
  if (LoopObserver* o = loop_.observer()) o->on_fault(kind, subject, detail);
}

void Topology::heal(const std::vector<HostId>& a, const std::vector<HostId>& b) {
  for (HostId x : a) {
    for (HostId y : b) {
      cuts_.erase({x, y});
      cuts_.erase({y, x});
    }
  }
  report_fault(FaultKind::kHeal, 0, absl::StrCat(host_names(a), " <-> ", host_names(b)));
  if (on_restored_) on_restored_();
}

void Topology::heal_all() {
  cuts_.clear();
  report_fault(FaultKind::kHeal, 0, "all");
  if (on_restored_) on_restored_();
}

bool Topology::is_cut(HostId from, HostId to) const {
  if (from >= hosts_.size() || to >= hosts_.size()) return true;
  if (!hosts_[from].up || !hosts_[to].up) return true;
  return from != to && cuts_.contains({from, to});
}

void Topology::clog(HostId h, int64_t duration_ns) {
  host(h);
  hosts_[h].clog_until_ns = std::max(hosts_[h].clog_until_ns, loop_.time_ns() + duration_ns);
  report_fault(FaultKind::kClog, 0, absl::StrCat(hosts_[h].name, " for ", duration_ns, " ns"));
}

int64_t Topology::clog_until(HostId a, HostId b) const {
  int64_t t = 0;
  if (a < hosts_.size()) t = std::max(t, hosts_[a].clog_until_ns);
  if (b < hosts_.size()) t = std::max(t, hosts_[b].clog_until_ns);
  return t;
}

void Topology::random_faults(HostId src, HostId dst) {
  if (src == dst) return;
  const FaultConfig& f = config.faults;
  if (chance(ChoiceKind::kFault, f.partition_probability)) {
    const int64_t d = draw_range(ChoiceKind::kFault, f.partition_min_ns, f.partition_max_ns);
    partition({src}, {dst}, true);
    loop_.call_at_ns(loop_.time_ns() + d, [this, src, dst] { heal({src}, {dst}); });
  }
  if (chance(ChoiceKind::kFault, f.clog_probability)) {
    clog(src, draw_range(ChoiceKind::kFault, f.clog_min_ns, f.clog_max_ns));
  }
}

// ---- Hosts down and up ----

bool Topology::mark_down(HostId h) {
  host(h);
  if (!hosts_[h].up) return false;
  hosts_[h].up = false;
  report_fault(FaultKind::kHostCrash, 0, hosts_[h].name);
  return true;
}

bool Topology::mark_up(HostId h) {
  host(h);
  if (hosts_[h].up) return false;
  hosts_[h].up = true;
  report_fault(FaultKind::kHostRestart, 0, hosts_[h].name);
  if (on_restored_) on_restored_();
  return true;
}

// ---- Choices ----

bool Topology::chance(ChoiceKind kind, double p) {
  if (!(p > 0.0)) return false;
  if (p >= 1.0) return true;
  constexpr uint64_t kScale = 1'000'000;
  auto threshold = static_cast<uint64_t>(p * kScale);
  if (threshold == 0) threshold = 1;
  return loop_.choose(kind, kScale) >= kScale - threshold;
}

int64_t Topology::draw_range(ChoiceKind kind, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(loop_.choose(kind, static_cast<uint64_t>(hi - lo) + 1));
}

int64_t Topology::draw_latency(HostId from, HostId to) {
  const LinkConfig& l = link(from, to);
  int64_t v = draw_range(ChoiceKind::kLatency, l.latency.min_ns, l.latency.max_ns);
  if (l.latency.tail_ns > 0 && chance(ChoiceKind::kLatency, l.latency.tail_probability)) {
    v += draw_range(ChoiceKind::kLatency, 1, l.latency.tail_ns);
  }
  return v;
}

void Topology::in_group(uint16_t group, absl::FunctionRef<void()> fn) {
  // Tasks created from a callback would join group 0; make them join the host's group.
  EventLoop::GroupScope scope(loop_, group);
  fn();
}

}  // namespace weft::sim::net_internal
