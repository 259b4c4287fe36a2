// Fabric: what touches the topology and both engines at once.
#include "sim/net/fabric.h"

namespace weft::sim::net_internal {

Fabric::Fabric(SimLoop& loop) : topology(loop) {
  // A heal or a restart lets TCP data held across the cut flow again (UDP across it was lost).
  topology.set_on_restored([this] { tcp.resume_all(); });
}

Fabric::~Fabric() { release_all(); }

void Fabric::release_all() {
  // The loop is closed: no callback of ours can run any more. Detach everything user code may
  // still hold, then release protocols last, once our own containers are consistent.
  Graveyard graveyard;
  topology.detach_all(graveyard);
  tcp.release(graveyard);
  udp.release();
  graveyard.clear();
}

void Fabric::crash_host(HostId host) {
  if (!topology.mark_down(host)) return;
  Graveyard graveyard;
  tcp.crash(host, graveyard);
  udp.crash(host, graveyard);
  graveyard.clear();
}

void Fabric::restart_host(HostId host) { topology.mark_up(host); }

}  // namespace weft::sim::net_internal
