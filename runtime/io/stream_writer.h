// weft::StreamWriter: asyncio.StreamWriter — writes to a connection or a child's stdin. write()
// buffers without blocking; `co_await drain()` is the back-pressure point: it waits while the
// transport's buffer is above its high-water mark. Destroying an open writer closes it.
#ifndef WEFT_RUNTIME_IO_STREAM_WRITER_H_
#define WEFT_RUNTIME_IO_STREAM_WRITER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io/internal/flow_control.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/write_transport.h"
#include "runtime/task.h"

namespace weft {

class StreamWriter {
 public:
  // Made by open_connection / start_server / create_subprocess_*; `reader` may be null.
  StreamWriter(std::shared_ptr<WriteTransport> transport,
               std::shared_ptr<io_internal::FlowControl> protocol,
               std::shared_ptr<StreamReader> reader);
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;
  ~StreamWriter();

  void write(std::string_view data) { transport_->write(data); }
  void writelines(const std::vector<std::string>& lines) { transport_->writelines(lines); }
  void write_eof() { transport_->write_eof(); }
  bool can_write_eof() const { return transport_->can_write_eof(); }
  // Closes the transport (buffered data is still sent). Idempotent.
  void close() { transport_->close(); }
  bool is_closing() const { return transport_->is_closing(); }
  // Waits until the connection is lost; rethrows the loss's exception (ConnectionResetError...).
  // A cancelled wait changes nothing.
  Task<void> wait_closed();
  // Waits until the write buffer is below the low-water mark. Raises the reader's exception, or
  // ConnectionResetError("Connection lost") once the connection is gone. A cancelled drain
  // leaves the buffered data queued.
  Task<void> drain();
  ExtraInfo get_extra_info(std::string_view name) const { return transport_->get_extra_info(name); }
  const std::shared_ptr<WriteTransport>& transport() const { return transport_; }

 private:
  std::shared_ptr<WriteTransport> transport_;
  std::shared_ptr<io_internal::FlowControl> protocol_;
  std::shared_ptr<StreamReader> reader_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_STREAM_WRITER_H_
