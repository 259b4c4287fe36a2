// SimLoop: the simulated world's loop (DESIGN.md §3–4). One thread, virtual time in nanoseconds
// that jumps to the next timer when nothing is runnable, a SchedulingStrategy choosing which
// ready entry runs next, and one ChoiceSource for every nondeterministic decision. A run is a
// pure function of (program, seed, config): digest() hashes (XXH3) the stream of events —
// task created/step/done, callbacks, timers, choices — so two runs can be compared bit for bit.
// Main not done, nothing runnable, no timer: DeadlockError listing every task and what it awaits.
#ifndef WEFT_SIM_SIM_LOOP_H_
#define WEFT_SIM_SIM_LOOP_H_

#include <xxhash.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "runtime/event_loop.h"
#include "runtime/io/internal/world_services.h"
#include "runtime/world.h"
#include "runtime/source_location.h"
#include "sim/choice_source.h"
#include "sim/strategy.h"

namespace weft::sim {

class Network;
class ProcessTable;
class SimExecutor;

struct SimConfig {
  uint64_t seed = 0;
  // A built-in strategy, used unless strategy_factory is set.
  Strategy strategy = Strategy::kFifo;
  // A strategy of the user's own (see SchedulingStrategy's contract); wins over `strategy`. Each
  // SimLoop built from this config calls it once and owns the result. A factory, not an
  // instance, because a config is copied into every run of a sweep, in parallel too: each run
  // gets a fresh strategy with its own state, and the factory must be safe to call from the
  // threads that build loops. Returning null is a ValueError.
  StrategyFactory strategy_factory = nullptr;
  // buggify(): off unless enabled; each call site is active with `buggify_activation`, and an
  // active site fires with `buggify_fire` (both drawn from the seed).
  bool buggify = false;
  double buggify_activation = 0.25;
  double buggify_fire = 0.25;
  // Stop with RuntimeError after this many steps (0: no limit) — catches livelocks. Signed, so
  // that a negative value is refused rather than wrapping to "no limit in practice".
  int64_t max_steps = 0;
  // Wrap or replace the simulated world's network, processes and executor (runtime/world.h).
  // The topology API (network().add_host, partitions, ...) stays the simulated Network's.
  WorldHooks world;
};

// One recorded choice, for replay and for reading a run.
struct Choice {
  ChoiceKind kind;
  uint64_t n;
  uint64_t value;
};

class SimLoop final : public EventLoop {
 public:
  // `source` overrides the seeded PRNG (replay, RapidCheck-generated lists). ValueError for a
  // negative max_steps or a buggify probability outside [0, 1].
  explicit SimLoop(SimConfig config = {}, std::unique_ptr<ChoiceSource> source = nullptr);
  ~SimLoop() override;

  // Draws a choice in [0, n) and records it in the digest and the choice list.
  uint64_t choose(ChoiceKind kind, uint64_t n);
  // choose() for a value `accept` takes (ChoiceSource::choose_where): one recorded choice.
  uint64_t choose_where(ChoiceKind kind, uint64_t n, absl::FunctionRef<bool(uint64_t)> accept);

  // XXH3-64 of the event stream so far.
  uint64_t digest() const;
  uint64_t steps() const { return steps_; }
  const std::vector<Choice>& choices() const { return choices_; }
  const SimConfig& config() const { return config_; }
  // The strategy this loop runs (built-in or the factory's).
  const SchedulingStrategy& strategy() const { return *strategy_; }

  // The simulated world has no other threads: from the loop's own thread this is call_soon;
  // from any other thread it throws RuntimeError (the test touched the real world).
  void call_soon_threadsafe(absl::AnyInvocable<void()> fn) override;

  Random& random() override { return random_; }
  bool buggify(const SourceLocation& site) override;

  // The simulated world's services, created on first use and owned by the loop.
  Network& network();
  ProcessTable& processes();
  SimExecutor& executor();
  NetworkService* network_service() override;
  ProcessService* process_service() override;
  ExecutorService* executor_service() override;
  void set_world_hooks(WorldHooks hooks) override;
  void shutdown_default_executor() override;

  // A fresh task group (see EventLoop::kill_group) for a simulated node; never 0.
  uint16_t new_group();

 protected:
  int64_t now_ns() const override {
    if (clock_) [[unlikely]] return read_hooked_clock();
    return now_ns_;
  }
  void poll(int64_t timeout_ns) override;
  size_t pick_ready() override;
  void on_close() override;
  const char* cross_thread_advice() const override {
    return "the simulated world has no threads: do the work in a task or callback of the loop";
  }

 private:
  class Digest;
  class ChoiceRandom final : public Random {
   public:
    explicit ChoiceRandom(SimLoop* loop) : loop_(loop) {}
    uint64_t below(uint64_t n) override { return loop_->choose(ChoiceKind::kRandom, n); }
    uint64_t next_u64() override;

   private:
    SimLoop* loop_;
  };
  const std::shared_ptr<Network>& network_ptr();
  const std::shared_ptr<ProcessTable>& processes_ptr();
  const std::shared_ptr<SimExecutor>& executor_ptr();
  void hash_event(uint8_t type, uint64_t a, uint64_t b);
  void count_step();

  SimConfig config_;
  std::unique_ptr<ChoiceSource> source_;
  std::unique_ptr<SchedulingStrategy> strategy_;
  // strategy_ when it reorders (it gets the lifecycle hooks), else null: fifo pays nothing.
  SchedulingStrategy* hooked_ = nullptr;
  std::unique_ptr<Digest> digest_observer_;
  XXH3_state_t* hash_;
  int64_t now_ns_ = 0;
  // WorldHooks.clock's result over the virtual clock; null: now_ns_ directly.
  std::shared_ptr<Clock> clock_;
  class VirtualClock;
  int64_t read_hooked_clock() const;
  [[noreturn, gnu::cold, gnu::noinline]] void bad_pick(size_t i, size_t n) const;
  uint64_t steps_ = 0;
  std::vector<Choice> choices_;
  ChoiceRandom random_{this};
  absl::btree_map<std::string, bool> buggify_sites_;
  std::thread::id owner_ = std::this_thread::get_id();
  uint16_t groups_ = 0;
  // Declared last: destroyed first, after close() has dropped every queued callback. The
  // world's own services (the loop keeps them for their sim APIs and for close() even when a
  // hook replaced them), then the services in use.
  std::shared_ptr<Network> network_;
  std::shared_ptr<ProcessTable> processes_;
  std::shared_ptr<SimExecutor> executor_;
  io_internal::WorldServices services_;
};

// The running loop as a SimLoop; RuntimeError when no loop runs or it is not simulated.
SimLoop& current_loop();

}  // namespace weft::sim

#endif  // WEFT_SIM_SIM_LOOP_H_
