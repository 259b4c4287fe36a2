// weft::sim::Network: the simulated world's NetworkService (DESIGN.md §3–4): named hosts with
// IPv4/IPv6 addresses, TCP and UDP between them over links with latency, bandwidth, loss and
// partitions. No real traffic ever leaves the process; every decision is a SimLoop choice.
// SKELETON — owned by the sim-network work (issue 6); see sim/net/README for the contract.
#ifndef WEFT_SIM_NET_NETWORK_H_
#define WEFT_SIM_NET_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/io/network_service.h"

namespace weft::sim {

class SimLoop;

using HostId = uint32_t;

class Network final : public NetworkService {
 public:
  explicit Network(SimLoop& loop);
  ~Network() override;

  Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family, int socktype,
                                          int flags) override;
  Task<std::shared_ptr<Transport>> create_connection(ProtocolFactory factory, std::string host,
                                                     int port, ConnectionOptions options) override;
  Task<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, int port,
                                              ServerOptions options) override;
  Task<std::shared_ptr<DatagramTransport>> create_datagram_endpoint(
      DatagramProtocolFactory factory, DatagramOptions options) override;

 private:
  SimLoop& loop_;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_NET_NETWORK_H_
