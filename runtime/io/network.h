// The transport-level network API of asyncio's loop, as free functions on the running loop:
// create_connection, create_server, create_datagram_endpoint, getaddrinfo. asyncio's logic is
// here (runtime/io/internal/connect.h), once; what crosses into the world goes through
// get_running_loop().network_service(), so the same code runs in either world.
#ifndef WEFT_RUNTIME_IO_NETWORK_H_
#define WEFT_RUNTIME_IO_NETWORK_H_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/io/internal/connect.h"
#include "runtime/io/network_service.h"
#include "runtime/task.h"

namespace weft {
namespace internal {
// The running loop's network; RuntimeError if the world has none.
inline NetworkService& network() {
  NetworkService* net = get_running_loop().network_service();
  if (!net) throw RuntimeError("this event loop has no network service");
  return *net;
}
template <class F>
using factory_product_t = typename std::invoke_result_t<F&>::element_type;
}  // namespace internal

// asyncio loop.create_connection: `factory` returns std::shared_ptr<P> with P a Protocol.
// Returns (transport, protocol). A cancelled call leaves no socket and never calls the factory.
template <class F>
Task<std::pair<std::shared_ptr<Transport>, std::shared_ptr<internal::factory_product_t<F>>>>
create_connection(F factory, std::string host, int port, ConnectionOptions options = {}) {
  using P = internal::factory_product_t<F>;
  static_assert(std::is_base_of_v<Protocol, P>, "the factory must return shared_ptr<Protocol>");
  auto made = std::make_shared<std::shared_ptr<P>>();
  // g++ 12 destroys temporaries of a co_await full-expression twice: build the task first.
  ProtocolFactory wrapped = [factory = std::move(factory), made]() mutable {
    *made = factory();
    return std::shared_ptr<Protocol>(*made);
  };
  Task<std::shared_ptr<Transport>> connect = io_internal::create_connection(
      internal::network(), std::move(wrapped), std::move(host), port, std::move(options));
  std::shared_ptr<Transport> transport = co_await std::move(connect);
  std::shared_ptr<P> protocol = *made;
  co_return std::make_pair(std::move(transport), std::move(protocol));
}

// asyncio loop.create_server: `factory()` is called for each accepted connection.
inline Task<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host,
                                                   int port, ServerOptions options = {}) {
  return io_internal::create_server(internal::network(), std::move(factory), std::move(host), port,
                                    options);
}

// asyncio loop.create_datagram_endpoint: returns (transport, protocol).
template <class F>
Task<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<internal::factory_product_t<F>>>>
create_datagram_endpoint(F factory, DatagramOptions options) {
  using P = internal::factory_product_t<F>;
  static_assert(std::is_base_of_v<DatagramProtocol, P>,
                "the factory must return shared_ptr<DatagramProtocol>");
  auto made = std::make_shared<std::shared_ptr<P>>();
  DatagramProtocolFactory wrapped = [factory = std::move(factory), made]() mutable {
    *made = factory();
    return std::shared_ptr<DatagramProtocol>(*made);
  };
  Task<std::shared_ptr<DatagramTransport>> open = io_internal::create_datagram_endpoint(
      internal::network(), std::move(wrapped), std::move(options));
  std::shared_ptr<DatagramTransport> transport = co_await std::move(open);
  std::shared_ptr<P> protocol = *made;
  co_return std::make_pair(std::move(transport), std::move(protocol));
}

// asyncio loop.getaddrinfo (host and port in, resolved addresses out).
inline Task<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family = AF_UNSPEC,
                                               int socktype = 0, int flags = 0) {
  return internal::network().getaddrinfo(std::move(host), port, family, socktype, flags);
}

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_NETWORK_H_
