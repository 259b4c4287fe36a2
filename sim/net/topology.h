// Topology: the simulated network's hosts and what lies between them (see the diagram in
// sim/net/network.cc): names and addresses, resolution and routing, links (latency, bandwidth),
// cuts, clogs, hosts up or down, the seeded choices and random faults, and the registry of
// everything handed to user code. The TCP and UDP engines (tcp_engine.h, udp_engine.h) move
// segments and datagrams over it; Fabric (fabric.h) ties the three together. Not for use outside
// sim/net.
#ifndef WEFT_SIM_NET_TOPOLOGY_H_
#define WEFT_SIM_NET_TOPOLOGY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "runtime/io/network_service.h"
#include "runtime/observer.h"
#include "sim/choice_source.h"
#include "sim/net/network_config.h"

namespace weft::sim {
class SimLoop;
using HostId = uint32_t;
}  // namespace weft::sim

namespace weft::sim::net_internal {

inline constexpr HostId kNoHost = UINT32_MAX;

class Topology;

// Protocols, futures and the like released on teardown or crash: destroyed after the network's
// own state is consistent, never called.
using Graveyard = std::vector<std::shared_ptr<void>>;

// Something the network hands out that may outlive it (sockets, listeners). On teardown the
// network detaches it; afterwards every call on it is a no-op.
class Attached {
 public:
  virtual ~Attached() = default;
  virtual void detach(Graveyard& graveyard) = 0;

 protected:
  Topology* registry_ = nullptr;  // null once detached
  uint64_t reg_id_ = 0;
  friend class Topology;
};

struct Host {
  std::string name;
  std::vector<std::string> addresses;
  bool up = true;
  int64_t clog_until_ns = 0;
  int next_port = 32768;  // Linux's ephemeral range: 32768..60999, shared by TCP and UDP
};

class Topology {
 public:
  explicit Topology(SimLoop& loop);
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  SimLoop& loop() { return loop_; }
  NetworkConfig config;

  // Runs after a cut is healed or a host restarts: what was held across it may flow again (the
  // TCP engine resumes its stalled directions).
  void set_on_restored(std::function<void()> fn) { on_restored_ = std::move(fn); }

  // Hosts and addresses.
  HostId add_host(std::string name, std::vector<std::string> addresses);
  void assign_group(uint16_t group, HostId host);
  HostId current_host() const;
  // current_host(), or OSError(ENETDOWN) when it is down.
  HostId current_host_up() const;
  const Host& host(HostId id) const;
  size_t host_count() const { return hosts_.size(); }
  std::optional<HostId> find_host(std::string_view name_or_address) const;
  // For resolution errors: the host names that exist (the first 16, in the order they came).
  std::string known_hosts() const;
  std::vector<AddrInfo> resolve(std::string_view name, int port, int family, int socktype,
                                int flags) const;
  // The host an address reaches from `from` (loopback and wildcard: `from` itself).
  HostId route(HostId from, const std::string& address) const;
  // The source address `from` uses toward `to_address`; OSError(ENETUNREACH) if it has none of
  // that family.
  std::string source_address(HostId from, const SocketAddress& to) const;
  bool owns(HostId host, const std::string& address) const;
  // The next free ephemeral port of `host` among `used` (port -> users).
  int pick_port(HostId host, const absl::btree_map<int, int>& used);

  // Links, cuts, clogs.
  void set_link(HostId a, HostId b, const LinkConfig& link);
  const LinkConfig& link(HostId a, HostId b) const;
  // When `bytes` sent from `src` at `start` finish leaving on the link to `dst` (its bandwidth,
  // shared by every connection and endpoint on it). Only for a link with a bandwidth.
  int64_t occupy_link(HostId src, HostId dst, uint64_t bytes, int64_t start);
  void partition(const std::vector<HostId>& a, const std::vector<HostId>& b, bool both_ways);
  void heal(const std::vector<HostId>& a, const std::vector<HostId>& b);
  void heal_all();
  bool is_cut(HostId from, HostId to) const;
  void clog(HostId host, int64_t duration_ns);
  int64_t clog_until(HostId a, HostId b) const;
  // The host goes down / comes back (the engines drop or resume its sockets). False when it
  // already was.
  bool mark_down(HostId host);
  bool mark_up(HostId host);
  // Seeded random faults between two hosts (NetworkConfig::faults), drawn per segment or
  // datagram sent.
  void random_faults(HostId src, HostId dst);

  // Tells the loop's observers (on_fault); `host_names` spells a host set for its detail.
  void report_fault(FaultKind kind, uint64_t subject, std::string_view detail);
  std::string host_names(const std::vector<HostId>& ids) const;

  // Choices. chance(p): false without drawing when p <= 0; choice 0 is always "no".
  bool chance(ChoiceKind kind, double p);
  int64_t draw_range(ChoiceKind kind, int64_t lo, int64_t hi);
  int64_t draw_latency(HostId from, HostId to);

  // Runs `fn` so that tasks it creates join `group` (protocol callbacks run outside any task).
  void in_group(uint16_t group, absl::FunctionRef<void()> fn);

  // The registry of what user code may hold past the loop's close.
  void attach(Attached* a);
  void forget(Attached* a);
  // The loop closed: detaches everything registered, in registration order.
  void detach_all(Graveyard& graveyard);

 private:
  SimLoop& loop_;
  std::function<void()> on_restored_;
  std::vector<Host> hosts_;
  absl::btree_map<std::string, HostId> by_name_;
  absl::btree_map<std::string, HostId> by_address_;
  absl::btree_map<uint16_t, HostId> groups_;
  absl::btree_set<std::pair<HostId, HostId>> cuts_;
  absl::btree_map<std::pair<HostId, HostId>, LinkConfig> links_;
  absl::btree_map<std::pair<HostId, HostId>, int64_t> link_free_ns_;  // bandwidth
  absl::btree_map<uint64_t, Attached*> attached_;
  uint64_t next_id_ = 0;
};

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_TOPOLOGY_H_
