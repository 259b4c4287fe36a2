#include "runtime/io/internal/connect.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/errors.h"
#include "runtime/future.h"
#include "runtime/io/internal/datagram_transport.h"
#include "runtime/io/internal/stream_server.h"
#include "runtime/io/internal/stream_transport.h"

namespace weft::io_internal {

Task<std::shared_ptr<Transport>> create_connection(NetworkService& net, ProtocolFactory factory,
                                                   std::string host, int port,
                                                   ConnectionOptions options) {
  EventLoop& loop = get_running_loop();
  Task<std::vector<AddrInfo>> resolving =
      net.getaddrinfo(std::move(host), port, options.family, SOCK_STREAM, 0);
  std::vector<AddrInfo> infos = co_await std::move(resolving);
  if (infos.empty()) throw OSError(EINVAL, "getaddrinfo() returned empty list");
  std::vector<std::exception_ptr> errors;
  std::shared_ptr<StreamSocket> socket;
  for (const auto& info : infos) {
    try {
      Task<std::shared_ptr<StreamSocket>> connecting = net.connect(info.address,
                                                                   options.local_addr);
      socket = co_await std::move(connecting);
      break;
    } catch (const OSError&) {
      errors.push_back(std::current_exception());
    }
  }
  if (!socket) {
    // As asyncio: one error, or several with the same text, is raised as is.
    std::vector<std::string> texts;
    for (auto& e : errors) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        texts.push_back(x.what());
      }
    }
    bool same = true;
    for (auto& t : texts) same = same && t == texts[0];
    if (same) std::rethrow_exception(errors[0]);
    throw OSError(EHOSTUNREACH, absl::StrCat("Multiple exceptions: ", absl::StrJoin(texts, ", ")));
  }
  if (LoopObserver* o = loop.observer()) {
    o->on_connection_opened(socket->id(), socket->local_address().to_string(),
                            socket->peer_address().to_string());
  }
  std::shared_ptr<Protocol> protocol;
  try {
    protocol = factory();
  } catch (...) {
    if (LoopObserver* o = loop.observer()) o->on_connection_closed(socket->id(), ECONNABORTED);
    socket->close(/*reset=*/true);
    throw;
  }
  auto transport = std::make_shared<StreamTransport>(loop, std::move(socket), std::move(protocol));
  Future<void> waiter(loop);
  transport->start(waiter);
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    transport->abort();
    throw;
  }
  co_return transport;
}

Task<std::shared_ptr<Server>> create_server(NetworkService& net, ProtocolFactory factory,
                                            std::string host, int port, ServerOptions options) {
  EventLoop& loop = get_running_loop();
  Task<std::vector<AddrInfo>> resolving =
      net.getaddrinfo(std::move(host), port, options.family, SOCK_STREAM, AI_PASSIVE);
  std::vector<AddrInfo> infos = co_await std::move(resolving);
  if (infos.empty()) throw OSError(EINVAL, "getaddrinfo() returned empty list");
  std::vector<std::shared_ptr<Listener>> listeners = net.listen(infos, options);
  auto server = std::make_shared<StreamServer>(loop, std::move(factory), std::move(listeners),
                                               options.backlog);
  if (options.start_serving) server->start_serving();
  co_return server;
}

Task<std::shared_ptr<DatagramTransport>> create_datagram_endpoint(NetworkService& net,
                                                                  DatagramProtocolFactory factory,
                                                                  DatagramOptions options) {
  EventLoop& loop = get_running_loop();
  DatagramSocketOptions open;
  open.family = options.family;
  open.reuse_port = options.reuse_port;
  open.allow_broadcast = options.allow_broadcast;
  if (options.local_addr) {
    Task<std::vector<AddrInfo>> resolving =
        net.getaddrinfo(options.local_addr->first, options.local_addr->second, open.family,
                        SOCK_DGRAM, AI_PASSIVE);
    std::vector<AddrInfo> infos = co_await std::move(resolving);
    if (infos.empty()) throw OSError(EINVAL, "getaddrinfo() returned empty list");
    open.local = infos[0].address;
    open.family = infos[0].address.family;
  }
  if (options.remote_addr) {
    Task<std::vector<AddrInfo>> resolving =
        net.getaddrinfo(options.remote_addr->first, options.remote_addr->second, open.family,
                        SOCK_DGRAM, 0);
    std::vector<AddrInfo> infos = co_await std::move(resolving);
    if (infos.empty()) throw OSError(EINVAL, "getaddrinfo() returned empty list");
    open.remote = infos[0].address;
    open.family = infos[0].address.family;
  }
  if (open.family == AF_UNSPEC) throw ValueError("unexpected address family");
  std::shared_ptr<DatagramSocket> socket = net.open_datagram(open);
  std::shared_ptr<DatagramProtocol> protocol;
  try {
    protocol = factory();
  } catch (...) {
    socket->close();
    throw;
  }
  auto transport =
      std::make_shared<SocketDatagramTransport>(loop, std::move(socket), std::move(protocol));
  Future<void> waiter(loop);
  transport->start(waiter);
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    transport->abort();
    throw;
  }
  co_return transport;
}

}  // namespace weft::io_internal
