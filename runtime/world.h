// weft::WorldHooks: how a test or a tool wraps or replaces a world's services before a run
// (DESIGN.md §3). Everything that reaches the program from outside the loop's own schedule
// crosses one of the services: the clock, the network, child processes, the default executor. A
// loop builds its world's own service when it is first needed and hands it to the matching hook,
// if one is set; whatever the hook returns is what the loop uses from then on: the same object,
// a decorator around it (a recorder counting or logging what crosses), or a stand-in that
// ignores it (a replayer feeding recorded results back). Neither needs a change in runtime/,
// runtime/epoll/ or sim/.
//
//   WorldHooks hooks;
//   hooks.network = [](std::shared_ptr<NetworkService> real) {
//     return std::make_shared<CountingNetwork>(std::move(real));
//   };
//   weft::run(main(), {.world = hooks});                  // the real world, decorated
//   sim::run(main(), {.seed = 7, .world = hooks});        // the simulated one, decorated
//
// The hooks are std::function, not AnyInvocable: they travel inside SimConfig, which a seed
// sweep copies for every seed. A hook runs on the loop's thread, at most once per loop; it must
// not return null. The loop owns what it returns until close(), which releases the world's own
// services first (fds closed, protocols dropped uncalled) and then drops the hooked ones.
#ifndef WEFT_RUNTIME_WORLD_H_
#define WEFT_RUNTIME_WORLD_H_

#include <functional>
#include <memory>

namespace weft {

class Clock;
class NetworkService;
class ProcessService;
class ExecutorService;

struct WorldHooks {
  // The clock (runtime/clock.h) is made with the loop, so its hook runs when the hooks are set
  // (the loop's constructor, or set_world_hooks before the loop first runs). In the simulated
  // world the clock is the virtual time the loop advances: a hook there may observe it (a
  // decorator returning what the world's clock returned), not change it; a reading that differs
  // from the virtual time raises RuntimeError.
  std::function<std::shared_ptr<Clock>(std::shared_ptr<Clock>)> clock;
  std::function<std::shared_ptr<NetworkService>(std::shared_ptr<NetworkService>)> network;
  std::function<std::shared_ptr<ProcessService>(std::shared_ptr<ProcessService>)> processes;
  std::function<std::shared_ptr<ExecutorService>(std::shared_ptr<ExecutorService>)> executor;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_WORLD_H_
