// weft::Transport: asyncio.Transport, a bidirectional stream (a TCP connection). Created by the
// world's NetworkService (create_connection, a server's accept) and handed to the Protocol.
#ifndef WEFT_RUNTIME_IO_TRANSPORT_H_
#define WEFT_RUNTIME_IO_TRANSPORT_H_

#include "runtime/io/read_transport.h"
#include "runtime/io/write_transport.h"

namespace weft {

class Transport : public ReadTransport, public WriteTransport {};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_TRANSPORT_H_
