// weft::sim::SimExecutor: the simulated world's default executor: run_in_executor's function
// runs on the loop thread and completes at a virtual time chosen by the seed.
// SKELETON — owned by the sim-processes work (issue 6).
#ifndef WEFT_SIM_PROC_SIM_EXECUTOR_H_
#define WEFT_SIM_PROC_SIM_EXECUTOR_H_

#include <cstddef>

#include "absl/functional/any_invocable.h"
#include "runtime/io/executor_service.h"

namespace weft::sim {

class SimLoop;

class SimExecutor final : public ExecutorService {
 public:
  explicit SimExecutor(SimLoop& loop);
  ~SimExecutor() override;

  void submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> done) override;
  void set_max_workers(size_t n) override { max_workers_ = n; }
  size_t max_workers() const override { return max_workers_; }
  void shutdown() override;

 private:
  SimLoop& loop_;
  size_t max_workers_ = 6;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_SIM_EXECUTOR_H_
