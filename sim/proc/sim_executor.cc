#include "sim/proc/sim_executor.h"

#include "runtime/errors.h"
#include "sim/sim_loop.h"

namespace weft::sim {

SimExecutor::SimExecutor(SimLoop& loop) : loop_(loop) {}
SimExecutor::~SimExecutor() = default;

void SimExecutor::submit(absl::AnyInvocable<void()>, absl::AnyInvocable<void()>) {
  throw RuntimeError("sim::SimExecutor: not implemented yet");
}

void SimExecutor::shutdown() {}

}  // namespace weft::sim
