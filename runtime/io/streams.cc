#include "runtime/io/streams.h"

#include "runtime/io/network.h"

namespace weft {

Task<std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>> open_connection(
    std::string host, int port, StreamOptions options) {
  auto reader = std::make_shared<StreamReader>(options.limit);
  ConnectionOptions conn;
  conn.family = options.family;
  auto factory = [reader] { return std::make_shared<io_internal::StreamReaderProtocol>(reader); };
  auto connect = create_connection(factory, std::move(host), port, conn);
  auto made = co_await std::move(connect);
  auto writer = std::make_shared<StreamWriter>(made.first, made.second, reader);
  co_return std::make_pair(std::move(reader), std::move(writer));
}

Task<std::shared_ptr<Server>> start_server(ClientConnectedCallback client_connected_cb,
                                           std::string host, int port, StreamOptions options,
                                           ServerOptions server_options) {
  StreamReader::check_limit(options.limit);
  if (options.family != AF_UNSPEC) server_options.family = options.family;
  const long limit = options.limit;
  ProtocolFactory factory = [cb = std::move(client_connected_cb), limit] {
    return std::shared_ptr<Protocol>(std::make_shared<io_internal::StreamReaderProtocol>(
        std::make_shared<StreamReader>(limit), cb));
  };
  auto create = create_server(std::move(factory), std::move(host), port, server_options);
  co_return co_await std::move(create);
}

}  // namespace weft
