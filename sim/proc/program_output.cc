#include "sim/proc/program_output.h"

#include <errno.h>

#include <algorithm>
#include <utility>

#include "runtime/io/os_error.h"
#include "sim/proc/pipes.h"
#include "sim/proc/sim_process.h"
#include "sim/sim_loop.h"

namespace weft::sim {

ProgramOutput::ProgramOutput() = default;
ProgramOutput::~ProgramOutput() = default;

Task<void> ProgramOutput::write(std::string_view data) {
  // Copied here, outside the coroutine, so the caller's buffer may die at once.
  return write_owned(std::string(data));
}

Task<void> ProgramOutput::write_owned(std::string data) {
  if (closed_) throw_os_error(EBADF, "write");
  if (mode_ == Mode::kDiscard) {
    written_ += data.size();
    co_return;
  }
  if (mode_ == Mode::kCollect) {
    collect_->append(data);
    written_ += data.size();
    co_return;
  }
  std::string_view rest(data);
  while (!rest.empty()) {
    if (closed_) throw_os_error(EBADF, "write");
    if (pipe_->read_closed()) {
      const bool dies = process_ && process_->raise_sigpipe();
      if (dies && process_->main_task_is_current()) {
        // SIGPIPE ends the process: its task is killed on the next iteration, inside this wait.
        Future<void> never(*loop_);
        co_await never;
      }
      throw_os_error(EPIPE, "write");
    }
    const size_t n = pipe_->push(rest);
    rest.remove_prefix(n);
    written_ += n;
    if (rest.empty()) break;
    Future<void> space(*loop_);
    waiters_->push_back(space);
    struct Remove {
      std::shared_ptr<Waiters> list;
      Future<void> w;
      ~Remove() {
        auto it = std::find(list->begin(), list->end(), w);
        if (it != list->end()) list->erase(it);
      }
    } remove{waiters_, space};
    co_await space;
  }
}

void ProgramOutput::write_last_words(std::string_view data) {
  if (closed_) return;
  written_ += data.size();
  if (mode_ == Mode::kPipe) {
    pipe_->push_all(data);
  } else if (mode_ == Mode::kCollect) {
    collect_->append(data);
  }
}

void ProgramOutput::close() {
  if (closed_) return;
  closed_ = true;
  if (pipe_) pipe_->close_write();
  for (auto& w : *waiters_) {
    if (!w.done()) w.set_result();  // they see closed_ and raise EBADF
  }
}

}  // namespace weft::sim
