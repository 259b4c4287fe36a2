#include "runtime/io/process.h"

#include "runtime/gather.h"
#include "runtime/io/internal/subprocess_transport.h"

namespace weft {

Process::Process(std::shared_ptr<SubprocessTransport> transport,
                 std::shared_ptr<io_internal::SubprocessStreamProtocol> protocol)
    : transport_(std::move(transport)), protocol_(std::move(protocol)), pid_(transport_->get_pid()) {
  stdin_ = protocol_->take_stdin();
  stdout_ = protocol_->stdout_reader();
  stderr_ = protocol_->stderr_reader();
}

Task<int> Process::wait() {
  // asyncio's Process.wait is the transport's _wait(); every transport of create_subprocess_*
  // is the shared one (runtime/io/internal/subprocess_transport.h).
  if (auto base = std::dynamic_pointer_cast<io_internal::BaseSubprocessTransport>(transport_)) {
    Task<int> waiting = base->wait();
    co_return co_await std::move(waiting);
  }
  co_await protocol_->finished();
  co_return transport_->get_returncode().value_or(0);
}

Task<void> Process::feed_stdin(std::string input) {
  stdin_->write(input);
  try {
    co_await stdin_->drain();
  } catch (const BrokenPipeError&) {
    // The child stopped reading: asyncio ignores this too; its exit status tells the story.
  } catch (const ConnectionResetError&) {
    // Same as above.
  }
  stdin_->close();
}

Task<std::string> Process::read_stream(int fd) {
  auto& stream = fd == 1 ? stdout_ : stderr_;
  std::string out = co_await stream->read();
  if (auto pipe = transport_->get_pipe_transport(fd)) pipe->close();
  co_return out;
}

namespace {
Task<void> noop() { co_return; }
Task<std::string> empty() { co_return std::string(); }
}  // namespace

Task<std::pair<std::string, std::string>> Process::communicate(std::optional<std::string> input) {
  Task<void> in = input && stdin_ ? feed_stdin(std::move(*input)) : noop();
  Task<std::string> out = stdout_ ? read_stream(1) : empty();
  Task<std::string> err = stderr_ ? read_stream(2) : empty();
  auto results = co_await gather(std::move(in), std::move(out), std::move(err));
  co_await wait();
  co_return std::make_pair(std::move(std::get<1>(results)), std::move(std::get<2>(results)));
}

}  // namespace weft
