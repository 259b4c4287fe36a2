// weft::Process: asyncio.subprocess.Process — a child started by create_subprocess_exec/shell,
// its exit status and its pipe streams. weft: the streams are stdin_stream() / stdout_stream() /
// stderr_stream() (stdin, stdout, stderr are macros in C); null when that stream is no PIPE.
#ifndef WEFT_RUNTIME_IO_PROCESS_H_
#define WEFT_RUNTIME_IO_PROCESS_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runtime/io/internal/subprocess_stream_protocol.h"
#include "runtime/io/process_lookup_error.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/io/subprocess_transport.h"
#include "runtime/task.h"

namespace weft {

class Process {
 public:
  Process(std::shared_ptr<SubprocessTransport> transport,
          std::shared_ptr<io_internal::SubprocessStreamProtocol> protocol);

  int pid() const { return pid_; }
  // The child's loop-issued resource id (never the pid): reads of its pipes and wait() wake
  // with it (LoopObserver::on_task_step).
  uint64_t resource_id() const { return transport_->resource_id(); }
  // Null while running; the exit code, or -N when signal N ended the child.
  std::optional<int> returncode() const { return transport_->get_returncode(); }
  // Waits until the child has exited; returns returncode. As asyncio's (the transport's
  // _wait()): at once once the child has exited, else when the child has exited and its pipes
  // are closed. Like asyncio, it can deadlock if the child fills a PIPE nobody reads. A cancelled
  // wait leaves the child running.
  Task<int> wait();
  // Writes `input` to stdin (then closes it), reads stdout and stderr to EOF, waits for the exit.
  // Returns {stdout, stderr} ("" for a stream that is no PIPE). A BrokenPipeError or
  // ConnectionResetError while feeding stdin is ignored, as asyncio. A cancelled communicate
  // cancels its readers; unread output is lost.
  Task<std::pair<std::string, std::string>> communicate(
      std::optional<std::string> input = std::nullopt);
  // ProcessLookupError once the child has been reaped and its transport finished.
  void send_signal(int sig) { transport_->send_signal(sig); }
  void terminate() { transport_->terminate(); }
  void kill() { transport_->kill(); }

  const std::shared_ptr<StreamWriter>& stdin_stream() const { return stdin_; }
  const std::shared_ptr<StreamReader>& stdout_stream() const { return stdout_; }
  const std::shared_ptr<StreamReader>& stderr_stream() const { return stderr_; }

 private:
  Task<void> feed_stdin(std::string input);
  Task<std::string> read_stream(int fd);

  std::shared_ptr<SubprocessTransport> transport_;
  std::shared_ptr<io_internal::SubprocessStreamProtocol> protocol_;
  int pid_;
  std::shared_ptr<StreamWriter> stdin_;
  std::shared_ptr<StreamReader> stdout_;
  std::shared_ptr<StreamReader> stderr_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_PROCESS_H_
