// weft::run: asyncio.run on the real (epoll) loop. Runs `main` to completion on a new loop, then
// cancels every task still running and lets them finish, then closes the loop. Returns main's
// result or rethrows its exception. RuntimeError when called from a running loop. Unlike
// asyncio, when main fails the tasks left are not cancelled but destroyed unrun (their locals'
// destructors run, no catch block does): they may refer to main's locals, which are gone.
#ifndef WEFT_RUNTIME_RUN_H_
#define WEFT_RUNTIME_RUN_H_

#include <type_traits>
#include <utility>

#include "runtime/epoll/epoll_loop.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

struct RunOptions {
  // Replaces the default exception handler (one line to stderr) for this run.
  EventLoop::ExceptionHandler exception_handler;
  // Wrap or replace the real world's network, processes and executor (runtime/world.h).
  WorldHooks world;
};

template <class T>
T run(Task<T> main, RunOptions options = {}) {
  if (running_loop_or_null()) {
    throw RuntimeError("weft::run() cannot be called from a running event loop");
  }
  EpollLoop loop(std::move(options.world));
  if (options.exception_handler) loop.set_exception_handler(std::move(options.exception_handler));
  struct Shutdown {
    EpollLoop& loop;
    bool main_returned = false;
    ~Shutdown() {
      try {
        // After an early exit no other task runs again: close() below destroys them newest
        // first. They may refer to main's locals (a Lock, a Queue), which its exception has
        // destroyed.
        if (main_returned) loop.cancel_all_tasks();
        loop.shutdown_default_executor();
      } catch (...) {
        // The loop is going away; what could not finish is destroyed by close() below.
      }
      loop.close();
    }
  } shutdown{loop};
  if constexpr (std::is_void_v<T>) {
    loop.run_until_complete(std::move(main));
    shutdown.main_returned = true;
  } else {
    T value = loop.run_until_complete(std::move(main));
    shutdown.main_returned = true;
    return value;
  }
}

}  // namespace weft

#endif  // WEFT_RUNTIME_RUN_H_
