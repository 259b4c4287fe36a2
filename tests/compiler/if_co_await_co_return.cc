// Form (a) of README "Compilers": `if (co_await f()) co_return ...;` where f() finishes without
// suspending. Prints "result 1" and exits 0 when compiled correctly. g++ 12 miscompiles it: as
// the main task the program dies with SIGILL (g++'s trap for flowing off the end of a
// coroutine); awaited by another task, the awaiting task is never resumed and the simulated loop
// reports a deadlock that is not there. Run only as a child by coroutine_forms_test.
// argv[1]: real | sim | nested-sim (the form inside a task that another task awaits).
#include <cstdio>
#include <exception>
#include <string>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace {

weft::Task<bool> finishes_at_once() { co_return true; }

weft::Task<int> the_form() {
  if (co_await finishes_at_once()) co_return 1;
  co_return 0;
}

weft::Task<int> awaits_the_form() {
  weft::Task<int> inner = the_form();
  int r = co_await std::move(inner);
  co_return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int result = -1;
  try {
    if (mode == "real") {
      result = weft::run(the_form());
    } else if (mode == "sim") {
      result = weft::sim::run(the_form()).value();
    } else if (mode == "nested-sim") {
      result = weft::sim::run(awaits_the_form()).value();
    } else {
      std::fprintf(stderr, "usage: if_co_await_co_return real|sim|nested-sim\n");
      return 2;
    }
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  std::printf("result %d\n", result);
  return result == 1 ? 0 : 1;
}
