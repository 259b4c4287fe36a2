// weft::ReadTransport: asyncio.ReadTransport — the receiving half: flow control toward the peer
// by pausing delivery to the protocol (data_received stops until resume_reading()).
#ifndef WEFT_RUNTIME_IO_READ_TRANSPORT_H_
#define WEFT_RUNTIME_IO_READ_TRANSPORT_H_

#include "runtime/io/base_transport.h"

namespace weft {

class ReadTransport : public virtual BaseTransport {
 public:
  // No data_received until resume_reading(). No-op when closing or already paused.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  virtual bool is_reading() const = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_READ_TRANSPORT_H_
