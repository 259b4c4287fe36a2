#include "runtime/io/internal/world_services.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft::io_internal {

void WorldServices::set_hooks(WorldHooks hooks) {
  if (closed_) throw RuntimeError("set_world_hooks: the event loop is closed");
  if (made_any_) {
    throw RuntimeError(
        "set_world_hooks: a world service is already in use on this loop; set the hooks before "
        "the first network, subprocess or executor call");
  }
  hooks_ = std::move(hooks);
}

template <class S>
S* WorldServices::make(std::shared_ptr<S>& slot,
                       absl::AnyInvocable<std::shared_ptr<S>()>& factory,
                       const std::function<std::shared_ptr<S>(std::shared_ptr<S>)>& hook,
                       const char* what) {
  if (closed_) return nullptr;
  if (slot) return slot.get();
  if (!factory) return nullptr;
  made_any_ = true;
  std::shared_ptr<S> own = std::move(factory)();
  factory = nullptr;
  if (hook) {
    slot = hook(std::move(own));
    if (!slot) {
      throw RuntimeError(absl::StrCat("WorldHooks.", what, " returned null: return the service "
                                      "it was given, a decorator of it, or a stand-in"));
    }
  } else {
    slot = std::move(own);
  }
  return slot.get();
}

NetworkService* WorldServices::network() {
  return make(network_, factories_.network, hooks_.network, "network");
}

ProcessService* WorldServices::processes() {
  return make(processes_, factories_.processes, hooks_.processes, "processes");
}

ExecutorService* WorldServices::executor() {
  const bool fresh = !executor_;
  ExecutorService* ex = make(executor_, factories_.executor, hooks_.executor, "executor");
  if (ex && fresh && executor_shut_down_) ex->shutdown();
  return ex;
}

void WorldServices::shutdown_executor() {
  // Once: weft::run shuts it down after main and close() again; a decorator sees one shutdown.
  if (executor_shut_down_) return;
  executor_shut_down_ = true;
  if (executor_) executor_->shutdown();
}

void WorldServices::close() {
  if (closed_) return;
  closed_ = true;
  // Dropped in the reverse order of a typical use; each may release the world's own service.
  auto executor = std::move(executor_);
  auto processes = std::move(processes_);
  auto network = std::move(network_);
  factories_ = {};
  hooks_ = {};
}

}  // namespace weft::io_internal
