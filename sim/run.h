// weft::sim::run: asyncio.run semantics on a fresh SimLoop. Runs `main` to completion in virtual
// time, cancels what is left, closes the loop, and returns a SimResult: main's value or exception
// (a DeadlockError too), and the run's digest, end time and step count. Unlike weft::run it does
// not throw main's exception: value() rethrows it, so a seed sweep can keep going. When main
// fails (or deadlocks), the tasks left are not cancelled but destroyed unrun, as weft::run does.
#ifndef WEFT_SIM_RUN_H_
#define WEFT_SIM_RUN_H_

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "runtime/errors.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"
#include "sim/sim_loop.h"

namespace weft::sim {

template <class T>
class SimResult {
 public:
  static_assert(!std::is_reference_v<T>, "sim::run needs a main that returns a value or void");

  bool ok() const { return !error_; }
  const std::exception_ptr& error() const { return error_; }
  // Main's value; rethrows main's exception (or the DeadlockError) if it failed.
  decltype(auto) value() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>) return (*value_);
  }

  uint64_t seed = 0;
  std::string strategy;  // the strategy's name
  uint64_t digest = 0;
  int64_t end_time_ns = 0;
  uint64_t steps = 0;
  std::vector<Choice> choices;
  double end_time() const { return static_cast<double>(end_time_ns) * 1e-9; }

 private:
  template <class U>
  friend SimResult<U> run(Task<U> main, SimConfig config, std::unique_ptr<ChoiceSource> source);
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value_;
  std::exception_ptr error_;
};

template <class T>
SimResult<T> run(Task<T> main, SimConfig config = {},
                 std::unique_ptr<ChoiceSource> source = nullptr) {
  if (running_loop_or_null()) {
    throw RuntimeError("weft::sim::run() cannot be called from a running event loop");
  }
  SimResult<T> result;
  SimLoop loop(config, std::move(source));
  bool main_returned = false;
  try {
    if constexpr (std::is_void_v<T>) {
      loop.run_until_complete(std::move(main));
      result.value_.emplace(true);
    } else {
      result.value_.emplace(loop.run_until_complete(std::move(main)));
    }
    main_returned = true;
  } catch (...) {
    // Main's failure is the run's outcome: kept in the result, rethrown by value().
    result.error_ = std::current_exception();
  }
  try {
    // After an early exit no other task runs again: close() below destroys them newest first.
    // They may refer to main's locals (a Lock, a Queue), which its exception has destroyed, or
    // which a deadlocked main still holds while they would run their cancellation handlers.
    if (main_returned) loop.cancel_all_tasks();
    loop.shutdown_default_executor();
  } catch (...) {
    // Tasks that cannot be cancelled (deadlocked again) are destroyed by close() below; the
    // first error stays the run's outcome.
    if (!result.error_) result.error_ = std::current_exception();
  }
  result.seed = config.seed;
  result.strategy = std::string(loop.strategy().name());
  result.digest = loop.digest();
  result.end_time_ns = loop.time_ns();
  result.steps = loop.steps();
  result.choices = loop.choices();
  loop.close();
  return result;
}

// Runs `make_main()` — a callable returning Task<T> — so a sweep can build a fresh main per seed.
template <class F>
  requires std::is_invocable_v<F&>
auto run(F&& make_main, SimConfig config = {}, std::unique_ptr<ChoiceSource> source = nullptr) {
  return run(make_main(), config, std::move(source));
}

}  // namespace weft::sim

#endif  // WEFT_SIM_RUN_H_
