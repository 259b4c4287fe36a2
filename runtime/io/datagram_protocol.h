// weft::DatagramProtocol: asyncio.DatagramProtocol (UDP). connection_made, then any number of
// datagram_received / error_received, then connection_lost once.
#ifndef WEFT_RUNTIME_IO_DATAGRAM_PROTOCOL_H_
#define WEFT_RUNTIME_IO_DATAGRAM_PROTOCOL_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "runtime/io/base_protocol.h"
#include "runtime/io/datagram_transport.h"
#include "runtime/io/socket_address.h"

namespace weft {

class DatagramProtocol : public BaseProtocol {
 public:
  virtual void connection_made(std::shared_ptr<DatagramTransport> transport) { (void)transport; }
  virtual void datagram_received(std::string data, SocketAddress addr) {
    (void)data;
    (void)addr;
  }
  // A send or receive failed (e.g. ConnectionRefusedError after an ICMP port unreachable on a
  // connected endpoint). The endpoint stays open.
  virtual void error_received(std::exception_ptr exc) { (void)exc; }
};

using DatagramProtocolFactory = std::function<std::shared_ptr<DatagramProtocol>()>;

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_DATAGRAM_PROTOCOL_H_
