#include "runtime/io/internal/stream_protocol.h"

#include "runtime/event_loop.h"
#include "runtime/io/stream_writer.h"
#include "runtime/task_handle.h"

namespace weft::io_internal {

StreamReaderProtocol::StreamReaderProtocol(std::shared_ptr<StreamReader> reader,
                                           ClientConnectedCallback cb)
    : reader_(std::move(reader)), cb_(std::move(cb)), closed_(get_running_loop()) {
  // Nobody may ever await closed_; mark its exception retrieved so it is not reported.
  closed_.add_done_callback([](Future<void> f) {
    if (!f.cancelled()) f.exception();
  });
}

void StreamReaderProtocol::connection_made(std::shared_ptr<Transport> transport) {
  transport_ = transport;
  reader_->set_transport(transport);
  if (!cb_) return;
  auto writer = std::make_shared<StreamWriter>(transport, shared_from_this(), reader_);
  // Named after the peer, so reports and deadlock dumps say which connection failed.
  std::string name = "client_connected_cb";
  const ExtraInfo peername = transport->get_extra_info("peername");
  if (const auto* peer = std::get_if<SocketAddress>(&peername)) {
    name += " " + peer->to_string();
  }
  auto task = create_task(cb_(reader_, std::move(writer)), std::move(name));
  std::weak_ptr<Transport> weak = transport;
  task.add_done_callback([weak](AnyTask t) {
    auto tr = weak.lock();
    if (t.cancelled()) {
      if (tr) tr->close();
      return;
    }
    if (auto exc = t.exception()) {
      t.get_loop().call_exception_handler(
          {"Unhandled exception in client_connected_cb", exc, t.get_name()});
      if (tr) tr->close();
    }
  });
}

void StreamReaderProtocol::connection_lost(std::exception_ptr exc) {
  if (exc) {
    reader_->set_exception(exc);
  } else {
    reader_->feed_eof();
  }
  if (!closed_.done()) {
    if (exc) {
      closed_.set_exception(exc);
    } else {
      closed_.set_result();
    }
  }
  flow_connection_lost(exc);
  transport_ = nullptr;
}

void StreamReaderProtocol::data_received(std::string data) { reader_->feed_data(data); }

bool StreamReaderProtocol::eof_received() {
  reader_->feed_eof();
  return true;  // keep the write side open (half-close), as asyncio without TLS
}

}  // namespace weft::io_internal
