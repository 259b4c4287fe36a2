#include "runtime/io/subprocess.h"

namespace weft {

Task<std::shared_ptr<Process>> create_subprocess_exec(std::vector<std::string> argv,
                                                      SubprocessOptions options) {
  StreamReader::check_limit(options.limit);
  const long limit = options.limit;
  auto factory = [limit] { return std::make_shared<io_internal::SubprocessStreamProtocol>(limit); };
  auto spawn = subprocess_exec(factory, std::move(argv), std::move(options));
  auto made = co_await std::move(spawn);
  co_return std::make_shared<Process>(std::move(made.first), std::move(made.second));
}

Task<std::shared_ptr<Process>> create_subprocess_shell(std::string cmd,
                                                       SubprocessOptions options) {
  std::vector<std::string> argv = {"/bin/sh", "-c", std::move(cmd)};
  auto spawn = create_subprocess_exec(std::move(argv), std::move(options));
  co_return co_await std::move(spawn);
}

}  // namespace weft
