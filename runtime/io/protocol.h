// weft::Protocol: asyncio.Protocol, the callbacks of a stream connection. The transport calls
// connection_made first, then data_received any number of times, then eof_received at most once,
// then connection_lost exactly once (if connection_made was called).
#ifndef WEFT_RUNTIME_IO_PROTOCOL_H_
#define WEFT_RUNTIME_IO_PROTOCOL_H_

#include <functional>
#include <memory>
#include <string>

#include "runtime/io/base_protocol.h"
#include "runtime/io/transport.h"

namespace weft {

class Protocol : public BaseProtocol {
 public:
  virtual void connection_made(std::shared_ptr<Transport> transport) { (void)transport; }
  virtual void data_received(std::string data) { (void)data; }
  // The peer closed its write side. Return true to keep the connection half-open (we may still
  // write; close later); false closes the transport, as asyncio.
  virtual bool eof_received() { return false; }
};

using ProtocolFactory = std::function<std::shared_ptr<Protocol>()>;

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_PROTOCOL_H_
