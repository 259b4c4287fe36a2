#include "sim/proc/basic_programs.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/sleep.h"

namespace weft::sim {
namespace {

Task<int> cat(ProgramContext& ctx) {
  if (ctx.argv().size() > 1) {
    std::string msg;
    for (size_t i = 1; i < ctx.argv().size(); ++i) {
      absl::StrAppend(&msg, "cat: ", ctx.argv()[i], ": No such file or directory\n");
    }
    co_await ctx.stderr_stream().write(msg);
    co_return 1;
  }
  while (true) {
    std::string chunk = co_await ctx.stdin_stream().read(64 * 1024);
    if (chunk.empty()) co_return 0;
    co_await ctx.stdout_stream().write(chunk);
  }
}

Task<int> echo(ProgramContext& ctx) {
  const auto& argv = ctx.argv();
  size_t first = 1;
  bool newline = true;
  if (argv.size() > 1 && argv[1] == "-n") {
    newline = false;
    first = 2;
  }
  std::string text =
      first < argv.size() ? absl::StrJoin(argv.begin() + static_cast<long>(first), argv.end(), " ")
                          : std::string();
  if (newline) text.push_back('\n');
  co_await ctx.stdout_stream().write(text);
  co_return 0;
}

Task<int> true_program(ProgramContext&) { co_return 0; }
Task<int> false_program(ProgramContext&) { co_return 1; }

Task<int> sleep_program(ProgramContext& ctx) {
  double seconds = 0;
  if (ctx.argv().size() != 2 || !absl::SimpleAtod(ctx.argv()[1], &seconds) || seconds < 0) {
    std::string msg = absl::StrCat(
        "sleep: invalid time interval '", ctx.argv().size() > 1 ? ctx.argv()[1] : "", "'\n");
    co_await ctx.stderr_stream().write(msg);
    co_return 1;
  }
  co_await weft::sleep(seconds);
  co_return 0;
}

Task<int> env_program(ProgramContext& ctx) {
  std::string text;
  for (const auto& e : ctx.env()) absl::StrAppend(&text, e, "\n");
  co_await ctx.stdout_stream().write(text);
  co_return 0;
}

Task<int> pwd(ProgramContext& ctx) {
  std::string text = ctx.cwd() + "\n";
  co_await ctx.stdout_stream().write(text);
  co_return 0;
}

Task<int> yes(ProgramContext& ctx) {
  std::string line = (ctx.argv().size() > 1 ? ctx.argv()[1] : std::string("y")) + "\n";
  std::string block;
  while (block.size() < 8192) block += line;
  while (true) {
    co_await ctx.stdout_stream().write(block);
    co_await weft::sleep(0);  // to /dev/null it never blocks: let the rest of the world run
  }
}

}  // namespace

void define_basic_programs(ProcessTable& table) {
  table.define("cat", cat);
  table.define("echo", echo);
  table.define("true", true_program);
  table.define("false", false_program);
  table.define("sleep", sleep_program);
  table.define("env", env_program);
  table.define("pwd", pwd);
  table.define("yes", yes);
}

}  // namespace weft::sim
