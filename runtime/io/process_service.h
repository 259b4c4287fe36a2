// weft::ProcessService: the world's child processes (DESIGN.md §3): posix_spawn + pipes + pidfd
// in the epoll world, coroutine-programs in the simulated one. Users call the free functions of
// runtime/io/subprocess.h, which dispatch to the running loop's service.
#ifndef WEFT_RUNTIME_IO_PROCESS_SERVICE_H_
#define WEFT_RUNTIME_IO_PROCESS_SERVICE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/io/stream_reader.h"
#include "runtime/io/subprocess_protocol.h"
#include "runtime/io/subprocess_transport.h"
#include "runtime/task.h"

namespace weft {

// Where a child's stdin / stdout / stderr goes (asyncio.subprocess.PIPE, DEVNULL, STDOUT).
enum class Stdio { kInherit, kPipe, kDevNull, kStdout };
inline constexpr Stdio PIPE = Stdio::kPipe;
inline constexpr Stdio DEVNULL = Stdio::kDevNull;
inline constexpr Stdio STDOUT = Stdio::kStdout;  // stderr only: into the stdout pipe/file
inline constexpr Stdio INHERIT = Stdio::kInherit;

struct SubprocessOptions {
  Stdio stdin_mode = Stdio::kInherit;
  Stdio stdout_mode = Stdio::kInherit;
  Stdio stderr_mode = Stdio::kInherit;
  std::optional<std::string> cwd;
  // "NAME=value" entries replacing the environment; null inherits ours.
  std::optional<std::vector<std::string>> env;
  // StreamReader limit (create_subprocess_* only); ValueError unless > 0.
  long limit = kDefaultStreamLimit;
};

class ProcessService {
 public:
  virtual ~ProcessService() = default;
  // Starts argv[0] (searched on PATH when it has no '/') with argv. FileNotFoundError (with the
  // path) when it does not exist. `factory()` is called once; its protocol's connection_made
  // has run when this returns. A cancelled call kills the child (it is still reaped).
  virtual Task<std::shared_ptr<SubprocessTransport>> subprocess_exec(
      SubprocessProtocolFactory factory, std::vector<std::string> argv,
      SubprocessOptions options) = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_PROCESS_SERVICE_H_
