// WorldServices: the table of a world's services that both loops keep (runtime/world.h). Each
// service is made on first use by the world's own factory, passed through its hook, and kept
// until close(). Not for user code: users reach services through the free functions of
// runtime/io (open_connection, create_subprocess_exec, run_in_executor, ...).
#ifndef WEFT_RUNTIME_IO_INTERNAL_WORLD_SERVICES_H_
#define WEFT_RUNTIME_IO_INTERNAL_WORLD_SERVICES_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "runtime/io/executor_service.h"
#include "runtime/io/network_service.h"
#include "runtime/io/process_service.h"
#include "runtime/world.h"

namespace weft::io_internal {

class WorldServices {
 public:
  // The world's own services, each called at most once, on first use.
  struct Factories {
    absl::AnyInvocable<std::shared_ptr<NetworkService>()> network;
    absl::AnyInvocable<std::shared_ptr<ProcessService>()> processes;
    absl::AnyInvocable<std::shared_ptr<ExecutorService>()> executor;
  };

  explicit WorldServices(Factories factories) : factories_(std::move(factories)) {}

  // See EventLoop::set_world_hooks: RuntimeError once a service has been made or after close().
  void set_hooks(WorldHooks hooks);

  // Null after close().
  NetworkService* network();
  ProcessService* processes();
  ExecutorService* executor();

  // asyncio's shutdown_default_executor: shuts the executor in use down (through its hook's
  // result, so a decorator sees it); one made later starts shut down.
  void shutdown_executor();

  // The loop closes: drops every service (an executor not shut down before is dropped as it
  // is: the real world shuts it down first, the simulated one runs no user code in close()).
  // The world releases its own resources (fds, protocols) before; what a hook returned may hold
  // the world's service, so it goes here, not with the world.
  void close();

 private:
  template <class S>
  S* make(std::shared_ptr<S>& slot,
          absl::AnyInvocable<std::shared_ptr<S>()>& factory,
          const std::function<std::shared_ptr<S>(std::shared_ptr<S>)>& hook, const char* what);

  Factories factories_;
  WorldHooks hooks_;
  std::shared_ptr<NetworkService> network_;
  std::shared_ptr<ProcessService> processes_;
  std::shared_ptr<ExecutorService> executor_;
  bool made_any_ = false;
  bool executor_shut_down_ = false;
  bool closed_ = false;
};

}  // namespace weft::io_internal

#endif  // WEFT_RUNTIME_IO_INTERNAL_WORLD_SERVICES_H_
