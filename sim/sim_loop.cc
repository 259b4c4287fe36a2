#include "sim/sim_loop.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/net/network.h"
#include "sim/proc/process_table.h"
#include "sim/proc/sim_executor.h"

namespace weft::sim {
namespace {
enum EventType : uint8_t {
  kTaskCreated = 1,
  kTaskStep = 2,
  kTaskDone = 3,
  kCallback = 4,
  kTimerFired = 5,
  kChoice = 6,
  kTimeAdvance = 7,
};
}  // namespace

// Feeds the loop's events into the run digest and counts steps: the loop's world observer, which
// observers added with add_observer can neither replace nor remove. Event records are
// batched in `pending` and handed to XXH3 in large blocks: streaming XXH3 gives the same hash
// however the input is split, and one 25-byte update per event cost more than the event.
class SimLoop::Digest final : public LoopObserver {
 public:
  static constexpr size_t kRecord = 25;
  static constexpr size_t kBatch = 160 * kRecord;

  explicit Digest(SimLoop* loop) : loop_(loop) {}

  unsigned char* reserve(XXH3_state_t* hash) {
    if (used + kRecord > kBatch) flush(hash);
    unsigned char* at = pending + used;
    used += kRecord;
    return at;
  }
  void flush(XXH3_state_t* hash) {
    if (used > 0) XXH3_64bits_update(hash, pending, used);
    used = 0;
  }

  size_t used = 0;
  unsigned char pending[kBatch];

  void on_task_created(uint64_t id, std::string_view name) override {
    loop_->hash_event(kTaskCreated, id, 0);
    if (auto* s = loop_->hooked_) s->on_task_created(id, name);
  }
  void on_task_step(uint64_t id, uint64_t resource) override {
    loop_->count_step();
    loop_->hash_event(kTaskStep, id, resource);
  }
  void on_task_done(uint64_t id, TaskOutcome outcome) override {
    loop_->hash_event(kTaskDone, id, static_cast<uint64_t>(outcome));
    if (auto* s = loop_->hooked_) s->on_task_done(id, outcome);
  }
  void on_callback(uint64_t id) override {
    loop_->count_step();
    loop_->hash_event(kCallback, id, 0);
  }
  void on_timer_fired(uint64_t id, int64_t when) override {
    loop_->hash_event(kTimerFired, id, static_cast<uint64_t>(when));
  }

 private:
  SimLoop* loop_;
};

namespace {
// Checked before anything is built: a bad configuration is the caller's error, not the run's.
const SimConfig& checked(const SimConfig& config) {
  if (config.max_steps < 0) {
    throw ValueError(absl::StrCat("SimConfig.max_steps must be >= 0 (0: no limit), got ",
                                  config.max_steps));
  }
  for (auto [name, p] : {std::pair{"buggify_activation", config.buggify_activation},
                         std::pair{"buggify_fire", config.buggify_fire}}) {
    if (!(p >= 0 && p <= 1)) {
      throw ValueError(absl::StrCat("SimConfig.", name, " must be a probability in [0, 1], got ",
                                    p));
    }
  }
  return config;
}

std::unique_ptr<SchedulingStrategy> strategy_for(const SimConfig& config) {
  if (!config.strategy_factory) return make_strategy(config.strategy);
  auto strategy = config.strategy_factory();
  if (!strategy) throw ValueError("SimConfig.strategy_factory returned no strategy (null)");
  return strategy;
}

// What the digest's first record says about the strategy: the built-ins keep their enum value
// (their digests predate user strategies); a user strategy is known by its name.
uint64_t strategy_key(const SimConfig& config, const SchedulingStrategy& strategy) {
  if (!config.strategy_factory) return static_cast<uint64_t>(config.strategy);
  const std::string_view name = strategy.name();
  return XXH3_64bits(name.data(), name.size());
}
}  // namespace

// The simulated world's clock as a Clock: the virtual time, for WorldHooks.clock to wrap.
class SimLoop::VirtualClock final : public Clock {
 public:
  explicit VirtualClock(const SimLoop* loop) : loop_(loop) {}
  int64_t now_ns() override { return loop_->now_ns_; }

 private:
  const SimLoop* loop_;
};

SimLoop::SimLoop(SimConfig config, std::unique_ptr<ChoiceSource> source)
    : config_(checked(config)),
      source_(source ? std::move(source) : std::make_unique<PrngChoiceSource>(config.seed)),
      strategy_(strategy_for(config_)),
      digest_observer_(std::make_unique<Digest>(this)),
      hash_(XXH3_createState()),
      services_({
          .network = [this] { return std::shared_ptr<NetworkService>(network_ptr()); },
          .processes = [this] { return std::shared_ptr<ProcessService>(processes_ptr()); },
          .executor = [this] { return std::shared_ptr<ExecutorService>(executor_ptr()); },
      }) {
  clock_ = hook_clock(config_.world, [this] { return std::make_shared<VirtualClock>(this); });
  services_.set_hooks(config_.world);
  XXH3_64bits_reset_withSeed(hash_, 0);
  fifo_ = !strategy_->reorders();
  if (!fifo_ && strategy_->wants_events()) hooked_ = strategy_.get();
  set_world_observer(digest_observer_.get());
  hash_event(0, config_.seed, strategy_key(config_, *strategy_));
}

SimLoop::~SimLoop() {
  if (!is_closed()) close();
  XXH3_freeState(hash_);
}

void SimLoop::count_step() { ++steps_; }

const std::shared_ptr<Network>& SimLoop::network_ptr() {
  if (!network_) network_ = std::make_shared<Network>(*this);
  return network_;
}
const std::shared_ptr<ProcessTable>& SimLoop::processes_ptr() {
  if (!processes_) processes_ = std::make_shared<ProcessTable>(*this);
  return processes_;
}
const std::shared_ptr<SimExecutor>& SimLoop::executor_ptr() {
  if (!executor_) executor_ = std::make_shared<SimExecutor>(*this);
  return executor_;
}
Network& SimLoop::network() { return *network_ptr(); }
ProcessTable& SimLoop::processes() { return *processes_ptr(); }
SimExecutor& SimLoop::executor() { return *executor_ptr(); }

NetworkService* SimLoop::network_service() {
  return is_closed() ? nullptr : services_.network();
}
ProcessService* SimLoop::process_service() {
  return is_closed() ? nullptr : services_.processes();
}
ExecutorService* SimLoop::executor_service() {
  return is_closed() ? nullptr : services_.executor();
}
void SimLoop::set_world_hooks(WorldHooks hooks) {
  if (is_running()) throw RuntimeError("set_world_hooks: the event loop is running");
  WorldHooks clock_only;
  clock_only.clock = hooks.clock;
  services_.set_hooks(std::move(hooks));  // checks closed / services in use first
  clock_ = hook_clock(clock_only,
                      [this] { return std::make_shared<VirtualClock>(this); });
}

int64_t SimLoop::read_hooked_clock() const {
  const int64_t t = clock_->now_ns();
  if (t != now_ns_) [[unlikely]] {
    throw RuntimeError(absl::StrCat(
        "WorldHooks.clock read ", t, " ns where the simulated world's virtual time is ", now_ns_,
        " ns: in the simulated world a clock hook may observe the virtual time, not change it"));
  }
  return t;
}

void SimLoop::on_close() {
  // What user code may still hold goes now, not when the loop is destroyed: close() releases
  // everything it drops. The services in use last: a decorator may hold the world's own.
  if (network_) network_->release_all();
  if (processes_) processes_->release_all();
  services_.close();
}

void SimLoop::shutdown_default_executor() { services_.shutdown_executor(); }

uint16_t SimLoop::new_group() {
  if (groups_ == UINT16_MAX) throw RuntimeError("SimLoop: more than 65535 task groups");
  return ++groups_;
}

SimLoop& current_loop() {
  auto* loop = dynamic_cast<SimLoop*>(&get_running_loop());
  if (!loop) throw RuntimeError("the running event loop is not a simulated one");
  return *loop;
}

void SimLoop::hash_event(uint8_t type, uint64_t a, uint64_t b) {
  unsigned char* buf = digest_observer_->reserve(hash_);
  buf[0] = type;
  std::memcpy(buf + 1, &a, 8);
  std::memcpy(buf + 9, &b, 8);
  std::memcpy(buf + 17, &now_ns_, 8);
}

uint64_t SimLoop::digest() const {
  // Logically const: the batched records join the stream, the hash of the stream is unchanged.
  digest_observer_->flush(hash_);
  return XXH3_64bits_digest(hash_);
}

uint64_t SimLoop::choose(ChoiceKind kind, uint64_t n) {
  if (n <= 1) return 0;
  uint64_t v = source_->choose(kind, n);
  if (v >= n) v = 0;
  choices_.push_back(Choice{kind, n, v});
  hash_event(kChoice, (static_cast<uint64_t>(kind) << 56) ^ n, v);
  return v;
}

uint64_t SimLoop::choose_where(ChoiceKind kind, uint64_t n,
                              absl::FunctionRef<bool(uint64_t)> accept) {
  if (n <= 1) return 0;
  uint64_t v = source_->choose_where(kind, n, accept);
  if (v >= n || !accept(v)) v = 0;
  choices_.push_back(Choice{kind, n, v});
  hash_event(kChoice, (static_cast<uint64_t>(kind) << 56) ^ n, v);
  return v;
}

uint64_t SimLoop::ChoiceRandom::next_u64() {
  const uint64_t hi = loop_->choose(ChoiceKind::kRandom, uint64_t{1} << 32);
  const uint64_t lo = loop_->choose(ChoiceKind::kRandom, uint64_t{1} << 32);
  return (hi << 32) | lo;
}

void SimLoop::bad_pick(size_t i, size_t n) const {
  throw RuntimeError(absl::StrCat(
      "strategy '", std::string(strategy_->name()), "' picked ready slot ", i, " of ", n,
      i < n ? " (a hole)" : "", " at t=", absl::StrFormat("%.9f", time()), "s (seed ",
      config_.seed, "): the slot must be below ", n, " and live (ReadyView::live)"));
}

size_t SimLoop::pick_ready() {
  // Draw through choose() so the decision is recorded and hashed like every other choice.
  class Recorded final : public ChoiceSource {
   public:
    explicit Recorded(SimLoop* loop) : loop_(loop) {}
    uint64_t choose(ChoiceKind kind, uint64_t n) override { return loop_->choose(kind, n); }
    uint64_t choose_where(ChoiceKind kind, uint64_t n,
                          absl::FunctionRef<bool(uint64_t)> accept) override {
      return loop_->choose_where(kind, n, accept);
    }

   private:
    SimLoop* loop_;
  } recorded(this);
  const size_t n = ready_slots();
  const size_t i = strategy_->pick(ReadyView(*this), recorded);
  if (i >= n || !ready_live(i)) [[unlikely]] bad_pick(i, n);
  if (hooked_) hooked_->on_step(ready_task_id(i), ready_resource(i));
  return i;
}

void SimLoop::poll(int64_t timeout_ns) {
  if (config_.max_steps != 0 && steps_ > static_cast<uint64_t>(config_.max_steps)) {
    throw RuntimeError(absl::StrCat("simulation exceeded max_steps (", config_.max_steps,
                                    ") at t=", absl::StrFormat("%.9f", time()), "s (seed ",
                                    config_.seed, ")"));
  }
  if (timeout_ns < 0) {
    throw DeadlockError(absl::StrCat(
        "deadlock at t=", absl::StrFormat("%.9f", time()),
        "s (seed ", config_.seed, ", strategy ", std::string(strategy_->name()),
        "): no task can run, no timer is pending, no I/O is in flight\n", dump_tasks()));
  }
  if (timeout_ns > 0) {
    now_ns_ += timeout_ns;
    hash_event(kTimeAdvance, static_cast<uint64_t>(timeout_ns), 0);
  }
}

void SimLoop::call_soon_threadsafe(absl::AnyInvocable<void()> fn) {
  if (std::this_thread::get_id() != owner_) {
    throw RuntimeError(
        "SimLoop::call_soon_threadsafe called from another thread: the simulated world has no "
        "threads (a real thread or executor leaked into the simulation)");
  }
  call_soon(std::move(fn));
}

bool SimLoop::buggify(const SourceLocation& site) {
  if (!config_.buggify) return false;
  std::string key = absl::StrCat(site.file_name(), ":", site.line_number());
  auto [it, inserted] = buggify_sites_.try_emplace(key, false);
  constexpr uint64_t kScale = 1'000'000;
  // Choice 0 is "no fault": a site is active / fires when the draw lands in the top fraction.
  auto drawn = [&](double p) {
    const auto threshold = static_cast<uint64_t>(p * kScale);
    return choose(ChoiceKind::kBuggify, kScale) >= kScale - threshold;
  };
  if (inserted) it->second = drawn(config_.buggify_activation);
  if (!it->second) return false;
  if (!drawn(config_.buggify_fire)) return false;
  if (LoopObserver* o = observer()) o->on_fault(FaultKind::kBuggify, 0, key);
  return true;
}

}  // namespace weft::sim
