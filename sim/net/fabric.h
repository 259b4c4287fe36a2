// Fabric: the simulated network's three parts, tied together (see the diagram in
// sim/net/network.cc): the topology (hosts, links, cuts, clogs, crashes, choices: topology.h),
// the TCP engine (tcp_engine.h) and the UDP engine (udp_engine.h). Each engine sees only the
// topology; what touches all three — a host crashing or restarting, a heal, the loop closing —
// is here. Not for use outside sim/net.
#ifndef WEFT_SIM_NET_FABRIC_H_
#define WEFT_SIM_NET_FABRIC_H_

#include "sim/net/tcp_engine.h"
#include "sim/net/topology.h"
#include "sim/net/udp_engine.h"

namespace weft::sim::net_internal {

class Fabric {
 public:
  explicit Fabric(SimLoop& loop);
  ~Fabric();
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  // The host goes down at once: its TCP ends, listeners and UDP endpoints vanish without a
  // callback on it; peers elsewhere get an RST one latency later.
  void crash_host(HostId host);
  // The host is up again; traffic held toward it resumes.
  void restart_host(HostId host);
  // The loop closed: detaches every socket, listener and endpoint (protocols dropped uncalled,
  // later calls no-ops) and forgets every connection. Hosts stay.
  void release_all();

  Topology topology;
  TcpEngine tcp{topology};
  UdpEngine udp{topology};
};

}  // namespace weft::sim::net_internal

#endif  // WEFT_SIM_NET_FABRIC_H_
