#include "runtime/io/internal/subprocess_stream_protocol.h"

#include <algorithm>

#include "runtime/event_loop.h"

namespace weft::io_internal {

SubprocessStreamProtocol::SubprocessStreamProtocol(long limit)
    : limit_(limit), finished_(get_running_loop()) {}

void SubprocessStreamProtocol::connection_made(std::shared_ptr<SubprocessTransport> transport) {
  transport_ = transport;
  // Process.wait() wakes when the child is finished: its step reports the process.
  finished_.core()->set_resource_id(transport->resource_id());
  if (auto p = std::dynamic_pointer_cast<ReadTransport>(transport->get_pipe_transport(1))) {
    stdout_ = std::make_shared<StreamReader>(limit_);
    stdout_->set_transport(p);
    pipe_fds_.push_back(1);
  }
  if (auto p = std::dynamic_pointer_cast<ReadTransport>(transport->get_pipe_transport(2))) {
    stderr_ = std::make_shared<StreamReader>(limit_);
    stderr_->set_transport(p);
    pipe_fds_.push_back(2);
  }
  if (auto p = std::dynamic_pointer_cast<WriteTransport>(transport->get_pipe_transport(0))) {
    stdin_ = std::make_shared<StreamWriter>(p, shared_from_this(), nullptr);
  }
}

void SubprocessStreamProtocol::pipe_data_received(int fd, std::string data) {
  auto& reader = fd == 1 ? stdout_ : fd == 2 ? stderr_ : stdout_;
  if (fd == 1 || fd == 2) {
    if (reader) reader->feed_data(data);
  }
}

void SubprocessStreamProtocol::pipe_connection_lost(int fd, std::exception_ptr exc) {
  if (fd == 0) {
    if (transport_) {
      if (auto pipe = transport_->get_pipe_transport(0)) pipe->close();
    }
    flow_connection_lost(exc);
    return;
  }
  auto& reader = fd == 1 ? stdout_ : stderr_;
  if (reader) {
    if (exc) {
      reader->set_exception(exc);
    } else {
      reader->feed_eof();
    }
  }
  pipe_fds_.erase(std::remove(pipe_fds_.begin(), pipe_fds_.end(), fd), pipe_fds_.end());
  maybe_close_transport();
}

void SubprocessStreamProtocol::process_exited() {
  process_exited_ = true;
  maybe_close_transport();
}

void SubprocessStreamProtocol::maybe_close_transport() {
  if (pipe_fds_.empty() && process_exited_ && transport_) {
    transport_->close();
    transport_ = nullptr;
  }
}

void SubprocessStreamProtocol::connection_lost(std::exception_ptr exc) {
  flow_connection_lost(exc);
  transport_ = nullptr;
  if (!finished_.done()) finished_.set_result();
}

}  // namespace weft::io_internal
