// asyncio's subprocess API on the running loop's ProcessService: create_subprocess_exec / _shell
// (streams, a Process) and subprocess_exec / _shell (transport + protocol). No zombies: every
// child is reaped, and a child still running when its loop closes is killed, then reaped.
#ifndef WEFT_RUNTIME_IO_SUBPROCESS_H_
#define WEFT_RUNTIME_IO_SUBPROCESS_H_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/event_loop.h"
#include "runtime/io/internal/subprocess_transport.h"
#include "runtime/io/process.h"
#include "runtime/io/process_service.h"
#include "runtime/task.h"

namespace weft {
namespace internal {
inline ProcessService& processes() {
  ProcessService* p = get_running_loop().process_service();
  if (!p) throw RuntimeError("this event loop has no process service");
  return *p;
}
template <class F>
using subprocess_product_t = typename std::invoke_result_t<F&>::element_type;
}  // namespace internal

// asyncio.create_subprocess_exec(*argv, stdin=..., ...). FileNotFoundError for a missing program.
Task<std::shared_ptr<Process>> create_subprocess_exec(std::vector<std::string> argv,
                                                      SubprocessOptions options = {});
// asyncio.create_subprocess_shell: runs `cmd` with /bin/sh -c.
Task<std::shared_ptr<Process>> create_subprocess_shell(std::string cmd,
                                                       SubprocessOptions options = {});

// asyncio loop.subprocess_exec: returns (transport, protocol).
template <class F>
Task<std::pair<std::shared_ptr<SubprocessTransport>,
               std::shared_ptr<internal::subprocess_product_t<F>>>>
subprocess_exec(F factory, std::vector<std::string> argv, SubprocessOptions options = {}) {
  using P = internal::subprocess_product_t<F>;
  static_assert(std::is_base_of_v<SubprocessProtocol, P>,
                "the factory must return shared_ptr<SubprocessProtocol>");
  auto made = std::make_shared<std::shared_ptr<P>>();
  // g++ 12 destroys temporaries of a co_await full-expression twice: build the task first.
  SubprocessProtocolFactory wrapped = [factory = std::move(factory), made]() mutable {
    *made = factory();
    return std::shared_ptr<SubprocessProtocol>(*made);
  };
  Task<std::shared_ptr<SubprocessTransport>> spawn = io_internal::subprocess_exec(
      get_running_loop(), internal::processes(), std::move(wrapped), std::move(argv),
      std::move(options));
  std::shared_ptr<SubprocessTransport> transport = co_await std::move(spawn);
  std::shared_ptr<P> protocol = *made;
  co_return std::make_pair(std::move(transport), std::move(protocol));
}

// asyncio loop.subprocess_shell.
template <class F>
auto subprocess_shell(F factory, std::string cmd, SubprocessOptions options = {}) {
  std::vector<std::string> argv = {"/bin/sh", "-c", std::move(cmd)};
  return subprocess_exec(std::move(factory), std::move(argv), std::move(options));
}

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_SUBPROCESS_H_
