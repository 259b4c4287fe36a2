// weft::SubprocessTransport: asyncio.SubprocessTransport — a child process and its pipes.
// close() closes the pipes and kills the child if it is still running (as asyncio).
#ifndef WEFT_RUNTIME_IO_SUBPROCESS_TRANSPORT_H_
#define WEFT_RUNTIME_IO_SUBPROCESS_TRANSPORT_H_

#include <memory>
#include <optional>

#include "runtime/io/base_transport.h"

namespace weft {

class SubprocessTransport : public virtual BaseTransport {
 public:
  virtual int get_pid() const = 0;
  // Null until the child has exited; -N when a signal N ended it.
  virtual std::optional<int> get_returncode() const = 0;
  // The transport of pipe `fd` (0: a WriteTransport; 1, 2: ReadTransports), null when that
  // stream is not a pipe. Cast with std::dynamic_pointer_cast.
  virtual std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const = 0;
  // Throw ProcessLookupError once the child has been reaped and the transport finished.
  virtual void send_signal(int sig) = 0;
  virtual void terminate() = 0;  // SIGTERM
  virtual void kill() = 0;       // SIGKILL
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_SUBPROCESS_TRANSPORT_H_
