// weft::IoResult: what one read, write, send or receive of a world's socket did, as the system
// call would say (runtime/io/stream_socket.h, runtime/io/datagram_socket.h).
#ifndef WEFT_RUNTIME_IO_IO_RESULT_H_
#define WEFT_RUNTIME_IO_IO_RESULT_H_

#include <errno.h>

#include <cstddef>

namespace weft {

// `bytes` moved, or `err` (an errno; EAGAIN: nothing can move now, wait for the readiness
// callback). A stream read with neither is EOF; a datagram receive with neither is an empty
// datagram.
struct IoResult {
  size_t bytes = 0;
  int err = 0;

  bool would_block() const { return err == EAGAIN; }
  bool eof() const { return bytes == 0 && err == 0; }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_IO_RESULT_H_
