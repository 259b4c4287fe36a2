// SubprocessStreamProtocol: asyncio's adapter between a SubprocessProtocol and the Process
// streams (stdin StreamWriter, stdout / stderr StreamReaders); closes the transport once the
// child has exited and its output pipes are drained.
#ifndef WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_STREAM_PROTOCOL_H_
#define WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_STREAM_PROTOCOL_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/future.h"
#include "runtime/io/internal/flow_control.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/io/subprocess_protocol.h"

namespace weft::io_internal {

class SubprocessStreamProtocol final
    : public SubprocessProtocol,
      public FlowControl,
      public std::enable_shared_from_this<SubprocessStreamProtocol> {
 public:
  explicit SubprocessStreamProtocol(long limit);

  void connection_made(std::shared_ptr<SubprocessTransport> transport) override;
  void pipe_data_received(int fd, std::string data) override;
  void pipe_connection_lost(int fd, std::exception_ptr exc) override;
  void process_exited() override;
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override { flow_pause_writing(); }
  void resume_writing() override { flow_resume_writing(); }

  // Done once the transport has finished (child exited, pipes closed).
  Future<void> finished() const { return finished_; }
  // The streams; the protocol gives up stdin (it would otherwise own a writer that owns it).
  std::shared_ptr<StreamWriter> take_stdin() { return std::move(stdin_); }
  std::shared_ptr<StreamReader> stdout_reader() const { return stdout_; }
  std::shared_ptr<StreamReader> stderr_reader() const { return stderr_; }

 private:
  void maybe_close_transport();

  long limit_;
  std::shared_ptr<SubprocessTransport> transport_;
  std::shared_ptr<StreamWriter> stdin_;
  std::shared_ptr<StreamReader> stdout_;
  std::shared_ptr<StreamReader> stderr_;
  std::vector<int> pipe_fds_;
  bool process_exited_ = false;
  Future<void> finished_;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_SUBPROCESS_STREAM_PROTOCOL_H_
