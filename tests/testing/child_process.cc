#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace weft::testing {

std::string ChildResult::describe() const {
  if (exited) return "exit " + std::to_string(exit_code);
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

ChildResult run_child(const std::vector<std::string>& argv, int timeout_s) {
  ChildResult result;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    result.output = std::string("pipe2: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    result.output = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool killed = false;
  char buf[4096];
  while (true) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long left_ms = timeout_s * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
                                              (now.tv_nsec - start.tv_nsec) / 1'000'000);
    if (left_ms <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd p{out[0], POLLIN, 0};
    const int n = poll(&p, 1, killed ? 1000 : static_cast<int>(left_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (killed) break;  // the pipe stays open only if a grandchild holds it
      continue;
    }
    const ssize_t got = read(out[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child (and anything it spawned) closed its end
    result.output.append(buf, static_cast<size_t>(got));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace weft::testing
