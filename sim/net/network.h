// weft::sim::Network: the simulated world's NetworkService (DESIGN.md §3–4): named hosts with
// IPv4/IPv6 addresses, TCP and UDP between them over links with latency, bandwidth, partial
// reads, loss, partitions, clogging, resets and host crashes. No real traffic ever leaves the
// process; every decision is a SimLoop choice, so a seed fixes the run. The model and what it
// leaves out are described at the top of sim/net/network.cc.
//
// Host 0 ("default", 10.0.0.1 and fd00::1) is where tasks outside any node (group 0) live. Every
// host has its own loopback: 127.0.0.1, ::1 and "localhost" reach the host that asks.
//
//   Network& net = weft::sim::current_loop().network();   // inside sim::run's main
//   net.config().partial_read_probability = 0;             // e.g. exact segment boundaries
//   HostId a = net.add_host("a"), b = net.add_host("b");   // 10.0.0.2, 10.0.0.3 (+ fd00::)
//   net.at(5 * kSecond, [&net, a, b] { net.partition({a}, {b}); });
//   net.at(9 * kSecond, [&net, a, b] { net.heal({a}, {b}); });
#ifndef WEFT_SIM_NET_NETWORK_H_
#define WEFT_SIM_NET_NETWORK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "runtime/handle.h"
#include "runtime/io/network_service.h"
#include "sim/net/network_config.h"

namespace weft::sim {

class SimLoop;

using HostId = uint32_t;

namespace net_internal {
class Fabric;
}

class Network final : public NetworkService {
 public:
  static constexpr HostId kDefaultHost = 0;

  explicit Network(SimLoop& loop);
  ~Network() override;

  // The live configuration: changes apply to what is sent afterwards.
  NetworkConfig& config();
  // Overrides the link between `a` and `b` (both directions); a == b sets that host's loopback.
  void set_link(HostId a, HostId b, const LinkConfig& link);

  // ---- Hosts ----
  // Adds a host. `addresses` are IPv4/IPv6 literals (normalised); empty gets 10.0.0.<id+1> and
  // fd00::<id+1>. ValueError for a duplicate name or address, a non-numeric address, or a
  // loopback / wildcard address.
  HostId add_host(std::string name, std::vector<std::string> addresses = {});
  // Sockets opened by tasks of `group` belong to `host` (sim::Node calls this). Group 0 always
  // maps to the default host.
  void assign_group(uint16_t group, HostId host);
  // The host of the running task's group.
  HostId current_host() const;
  // A host by name or address; nullopt if none.
  std::optional<HostId> find_host(std::string_view name_or_address) const;
  const std::string& host_name(HostId host) const;
  const std::vector<std::string>& host_addresses(HostId host) const;
  size_t host_count() const;

  // ---- Scripted faults (call them from a test, or at a virtual time with at()) ----
  // Cuts traffic from every host of `a` to every host of `b` (and back when `both_ways`). TCP
  // data across a cut is held, not lost, and flows after the heal; held longer than
  // config().tcp_timeout_ns it fails its sender with OSError(ETIMEDOUT). UDP across a cut is lost.
  void partition(const std::vector<HostId>& a, const std::vector<HostId>& b,
                 bool both_ways = true);
  // Heals the cut between `a` and `b`, both directions.
  void heal(const std::vector<HostId>& a, const std::vector<HostId>& b);
  void heal_all();
  // True when traffic from `from` to `to` cannot pass (a cut, or either host crashed).
  bool is_cut(HostId from, HostId to) const;
  // Everything sent from or to `host` during the next `duration_ns` arrives only after it.
  void clog(HostId host, int64_t duration_ns);
  // Closes `transport` (a TCP transport of this network) as SO_LINGER 0 does: its own protocol
  // sees connection_lost(nullptr), the peer a ConnectionResetError. No-op for anything else.
  void reset(const std::shared_ptr<BaseTransport>& transport);
  // Resets every open TCP connection between hosts `a` and `b` (either way round; a == b: the
  // host's loopback connections): both ends get ConnectionResetError. Returns how many.
  size_t reset_connections(HostId a, HostId b);
  // Runs `fn` at virtual time `when_ns` (SimLoop::call_at_ns), to script a fault plan.
  TimerHandle at(int64_t when_ns, absl::AnyInvocable<void()> fn);

  // ---- Crashes (sim::Node) ----
  // The host goes down at once: its TCP connections vanish without any callback on this host
  // (their protocols are dropped, never called) and each peer on another host gets
  // ConnectionResetError after one link latency; its listeners and UDP endpoints vanish
  // silently. While it is down, traffic to it is held as across a cut (connects time out after
  // config().connect_timeout_ns). Call it before killing the host's tasks.
  void crash_host(HostId host);
  // Marks the host up again; held traffic to it resumes (connects reach whatever listens by
  // then, or are refused). The node's start-up code opens its listeners again.
  void restart_host(HostId host);
  bool is_up(HostId host) const;

  // Open TCP connections (either end not yet closed), for leak checks in tests.
  size_t open_connections() const;

  // For SimLoop::close(): detaches every transport, server and endpoint handed out (their
  // protocols are dropped without being called; later calls on them do nothing), so none
  // outlives the loop through a frame or a transport<->protocol cycle. Hosts stay.
  void release_all();

  // ---- NetworkService ----
  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family, int socktype,
                                          int flags) override;
  // From the current host (ENETDOWN while it is down).
  Task<std::shared_ptr<StreamSocket>> connect(SocketAddress address,
                                              std::optional<SocketAddress> local) override;
  std::vector<std::shared_ptr<Listener>> listen(const std::vector<AddrInfo>& addresses,
                                                const ServerOptions& options) override;
  // From the current host (ENETDOWN while it is down).
  std::shared_ptr<DatagramSocket> open_datagram(const DatagramSocketOptions& options) override;

 private:
  SimLoop& loop_;
  std::unique_ptr<net_internal::Fabric> fabric_;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_NET_NETWORK_H_
