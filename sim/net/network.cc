#include "sim/net/network.h"

#include "runtime/errors.h"
#include "sim/sim_loop.h"

namespace weft::sim {

Network::Network(SimLoop& loop) : loop_(loop) {}
Network::~Network() = default;

Task<std::vector<AddrInfo>> Network::getaddrinfo(std::string, int, int, int, int) {
  throw RuntimeError("sim::Network: not implemented yet");
}
Task<std::shared_ptr<Transport>> Network::create_connection(ProtocolFactory, std::string, int,
                                                            ConnectionOptions) {
  throw RuntimeError("sim::Network: not implemented yet");
}
Task<std::shared_ptr<Server>> Network::create_server(ProtocolFactory, std::string, int,
                                                     ServerOptions) {
  throw RuntimeError("sim::Network: not implemented yet");
}
Task<std::shared_ptr<DatagramTransport>> Network::create_datagram_endpoint(DatagramProtocolFactory,
                                                                          DatagramOptions) {
  throw RuntimeError("sim::Network: not implemented yet");
}

}  // namespace weft::sim
