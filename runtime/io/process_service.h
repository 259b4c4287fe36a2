// weft::ProcessService: the world's child processes (DESIGN.md §3): posix_spawn + pipes + pidfd
// in the epoll world, coroutine-programs in the simulated one. It only spawns: what it returns is
// a ChildProcess (runtime/io/child_process.h), below asyncio; the subprocess transport and its
// protocol callbacks are runtime/io's, the same on both worlds. Users call the free functions of
// runtime/io/subprocess.h, which dispatch to the running loop's service.
#ifndef WEFT_RUNTIME_IO_PROCESS_SERVICE_H_
#define WEFT_RUNTIME_IO_PROCESS_SERVICE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/io/child_process.h"
#include "runtime/io/stream_reader.h"

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
  // Starts argv[0] (searched on PATH when it has no '/') with argv, the stdio, cwd and env of
  // `options` (`limit` is the streams' business, above). FileNotFoundError (with the path) when
  // it does not exist, OSError for another failure; nothing is left running then. argv is not
  // empty and STDOUT is only stderr's: the caller (subprocess_exec) checked. Every child is
  // reaped, owned or not; one still running when the loop closes is killed, then reaped.
  virtual std::shared_ptr<ChildProcess> spawn(std::vector<std::string> argv,
                                              const SubprocessOptions& options) = 0;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_PROCESS_SERVICE_H_
