// weft::sim::ProgramOutput: a fake program's stdout or stderr (see ProgramContext). write()
// returns once every byte is in the pipe, waiting while the pipe is full, as a blocking write(2)
// does — so a parent that never reads can stall its child, exactly as on the real loop.
#ifndef WEFT_SIM_PROC_PROGRAM_OUTPUT_H_
#define WEFT_SIM_PROC_PROGRAM_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/future.h"
#include "runtime/task.h"

namespace weft::sim {

class ProcessTable;
class SimLoop;
namespace proc_internal {
class Pipe;
struct SimProcess;
}  // namespace proc_internal

class ProgramOutput {
 public:
  // A stream that discards everything (/dev/null).
  ProgramOutput();
  ~ProgramOutput();
  ProgramOutput(const ProgramOutput&) = delete;
  ProgramOutput& operator=(const ProgramOutput&) = delete;

  // Writes all of `data` (copied before the call returns, so a temporary is fine). Waits while
  // the pipe is full. When the parent has closed its end: a program without a SIGPIPE handler
  // dies of SIGPIPE (returncode -13), as a real one does; with a handler
  // (ProgramContext::handle_signal(SIGPIPE)) the write raises BrokenPipeError. OSError (EBADF)
  // after close() or once the process has exited. A cancelled write leaves the bytes already
  // taken by the pipe in it.
  Task<void> write(std::string_view data);
  // Closes this end: the parent reads EOF once the pipe drains. Idempotent. A process's streams
  // close when it exits.
  void close();
  bool is_closed() const { return closed_; }
  // Bytes accepted so far (by the pipe, the collector, or /dev/null).
  uint64_t bytes_written() const { return written_; }

 private:
  friend class ProcessTable;
  enum class Mode { kDiscard, kPipe, kCollect };
  using Waiters = std::vector<Future<void>>;

  Task<void> write_owned(std::string data);
  // Appends regardless of the pipe's capacity (the message of a program that threw).
  void write_last_words(std::string_view data);

  Mode mode_ = Mode::kDiscard;
  SimLoop* loop_ = nullptr;
  std::shared_ptr<proc_internal::Pipe> pipe_;
  std::string* collect_ = nullptr;
  proc_internal::SimProcess* process_ = nullptr;
  // Shared with the pipe's space-freed callback, which may outlive this object.
  std::shared_ptr<Waiters> waiters_ = std::make_shared<Waiters>();
  uint64_t written_ = 0;
  bool closed_ = false;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_PROGRAM_OUTPUT_H_
