// Per-step cost of the loop core, for callgrind: runs `tasks` tasks that each yield `yields`
// times (sleep(0)), plus one call_soon callback per yield round, on one world, and prints the
// step count. Run it at two sizes under `valgrind --tool=callgrind` and divide the difference in
// instructions by the difference in steps: start-up and teardown cancel out.
//   step_cost <real|fifo|random> <tasks> <yields>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace {

weft::Task<void> yielder(int64_t yields) {
  for (int64_t i = 0; i < yields; ++i) co_await weft::sleep(0);
}

weft::Task<int64_t> body(int64_t tasks, int64_t yields) {
  std::vector<weft::Task<void>> all;
  all.reserve(static_cast<size_t>(tasks));
  for (int64_t i = 0; i < tasks; ++i) all.push_back(yielder(yields));
  int64_t callbacks = 0;
  auto& loop = weft::get_running_loop();
  for (int64_t i = 0; i < yields; ++i) loop.call_soon([&callbacks] { ++callbacks; });
  co_await weft::gather(std::move(all));
  co_return callbacks;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: step_cost <real|fifo|random> <tasks> <yields>\n");
    return 2;
  }
  const int64_t tasks = std::atoll(argv[2]);
  const int64_t yields = std::atoll(argv[3]);
  if (std::strcmp(argv[1], "real") == 0) {
    const int64_t cb = weft::run(body(tasks, yields));
    std::printf("real: %lld callbacks\n", static_cast<long long>(cb));
    return 0;
  }
  weft::sim::SimConfig config;
  config.seed = 1;
  config.strategy = std::strcmp(argv[1], "random") == 0 ? weft::sim::Strategy::kRandom
                                                         : weft::sim::Strategy::kFifo;
  auto r = weft::sim::run(body(tasks, yields), config);
  std::printf("%s: %llu steps, %lld callbacks\n", argv[1],
              static_cast<unsigned long long>(r.steps), static_cast<long long>(r.value()));
  return 0;
}
