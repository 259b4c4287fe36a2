#include "runtime/io/stream_writer.h"

#include "runtime/sleep.h"

namespace weft {

StreamWriter::StreamWriter(std::shared_ptr<WriteTransport> transport,
                           std::shared_ptr<io_internal::FlowControl> protocol,
                           std::shared_ptr<StreamReader> reader)
    : transport_(std::move(transport)), protocol_(std::move(protocol)), reader_(std::move(reader)) {}

StreamWriter::~StreamWriter() {
  // asyncio 3.12 closes a forgotten writer too; a closed loop has already released the fd.
  if (transport_ && !transport_->is_closing() && running_loop_or_null()) transport_->close();
}

Task<void> StreamWriter::wait_closed() {
  auto closed = protocol_->closed_future();
  if (!closed) co_return;
  co_await *closed;
}

Task<void> StreamWriter::drain() {
  if (reader_) {
    if (auto exc = reader_->exception()) std::rethrow_exception(exc);
  }
  if (transport_->is_closing()) {
    // Let connection_lost run first, so drain_helper sees the loss (asyncio does the same).
    co_await sleep(0);
  }
  Task<void> drained = protocol_->drain_helper(transport_->resource_id());
  co_await std::move(drained);
}

}  // namespace weft
