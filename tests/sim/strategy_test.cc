// SchedulingStrategy as an open interface: a strategy written here, handed to the simulated loop
// through SimConfig::strategy_factory, decides the order; it gets the lifecycle hooks with the
// right ids; a pick takes one entry out and leaves the others in order.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/weft.h"
#include "sim/run.h"

namespace weft::sim {
namespace {

// Four tasks that each log their name; main awaits them in creation order.
Task<std::vector<std::string>> four_tasks() {
  std::vector<std::string> log;
  auto step = [](std::vector<std::string>& l, std::string name) -> Task<void> {
    l.push_back(std::move(name));
    co_return;
  };
  auto a = create_task(step(log, "A"), "A");
  auto b = create_task(step(log, "B"), "B");
  auto c = create_task(step(log, "C"), "C");
  auto d = create_task(step(log, "D"), "D");
  co_await a;
  co_await b;
  co_await c;
  co_await d;
  co_return log;
}

// Always runs the newest ready entry (LIFO), and records every hook.
class NewestFirst final : public SchedulingStrategy {
 public:
  explicit NewestFirst(std::vector<std::string>* hooks) : hooks_(hooks) {}
  std::string_view name() const override { return "newest"; }
  size_t pick(const ReadyView& ready, ChoiceSource&) override { return ready.size() - 1; }
  void on_task_created(uint64_t id, std::string_view name) override {
    if (hooks_) hooks_->push_back("created " + std::to_string(id) + " " + std::string(name));
  }
  void on_step(uint64_t task_id, uint64_t resource) override {
    if (hooks_) hooks_->push_back("step " + std::to_string(task_id));
    steps.emplace_back(task_id, resource);
  }
  void on_task_done(uint64_t id, TaskOutcome outcome) override {
    if (hooks_) {
      hooks_->push_back("done " + std::to_string(id) + " " +
                        std::to_string(static_cast<int>(outcome)));
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> steps;

 private:
  std::vector<std::string>* hooks_;
};

TEST(StrategyTest, UserStrategyDecidesTheOrder) {
  EXPECT_EQ(sim::run(four_tasks()).value(), (std::vector<std::string>{"A", "B", "C", "D"}));
  SimConfig config;
  config.strategy_factory = [] { return std::make_unique<NewestFirst>(nullptr); };
  auto r = sim::run(four_tasks(), config);
  EXPECT_EQ(r.value(), (std::vector<std::string>{"D", "C", "B", "A"}));
  EXPECT_EQ(r.strategy, "newest");
}

TEST(StrategyTest, HooksSeeCreatedStepAndDoneWithTheirIds) {
  std::vector<std::string> hooks;
  NewestFirst* strategy = nullptr;
  SimConfig config;
  config.strategy_factory = [&] {
    auto s = std::make_unique<NewestFirst>(&hooks);
    strategy = s.get();
    return s;
  };
  SimLoop loop(config);
  // Task steps as an observer sees them, to check the resource each step hook got.
  struct TaskSteps : LoopObserver {
    void on_task_step(uint64_t id, uint64_t resource) override { steps.emplace_back(id, resource); }
    std::vector<std::pair<uint64_t, uint64_t>> steps;
  } observed;
  loop.add_observer(&observed);
  EXPECT_EQ(loop.run_until_complete(four_tasks()), (std::vector<std::string>{"D", "C", "B", "A"}));
  loop.close();
  EXPECT_EQ(hooks, (std::vector<std::string>{
                       "created 1 Task-1",
                       "step 1",
                       "created 2 A",
                       "created 3 B",
                       "created 4 C",
                       "created 5 D",
                       "step 5",
                       "done 5 0",
                       "step 4",
                       "done 4 0",
                       "step 3",
                       "done 3 0",
                       "step 2",
                       "done 2 0",
                       "step 1",  // A's end wakes main, which finds B, C and D done
                       "done 1 0",
                       "step 0",  // run_until_complete's done callback: a plain callback
                   }));
  // The step hooks of tasks carry the same resources as the steps the loop reports.
  ASSERT_NE(strategy, nullptr);
  std::vector<std::pair<uint64_t, uint64_t>> task_steps;
  for (const auto& s : strategy->steps) {
    if (s.first != 0) task_steps.push_back(s);
  }
  EXPECT_EQ(task_steps, observed.steps);
}

// Picks slot 2 the first time four entries are ready, slot 0 otherwise; records every view (its
// live slots, in order).
class PickThirdOnce final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "third-once"; }
  size_t pick(const ReadyView& ready, ChoiceSource&) override {
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < ready.size(); ++i) {
      if (ready.live(i)) ids.push_back(ready.task_id(i));
    }
    views.push_back(ids);
    if (ready.size() == 4 && !picked_) {
      picked_ = true;
      return 2;
    }
    return 0;
  }
  std::vector<std::vector<uint64_t>> views;

 private:
  bool picked_ = false;
};

// Picking C out of A, B, C, D leaves A, B, D in that order (a swap with the front used to leave
// B, A, D, and index 0 then meant B).
TEST(StrategyTest, PickTakesTheEntryOutAndLeavesTheOthersInOrder) {
  PickThirdOnce* strategy = nullptr;
  SimConfig config;
  config.strategy_factory = [&] {
    auto s = std::make_unique<PickThirdOnce>();
    strategy = s.get();
    return s;
  };
  SimLoop loop(config);
  EXPECT_EQ(loop.run_until_complete(four_tasks()), (std::vector<std::string>{"C", "A", "B", "D"}));
  ASSERT_NE(strategy, nullptr);
  ASSERT_GE(strategy->views.size(), 5u);
  EXPECT_EQ(strategy->views[0], (std::vector<uint64_t>{1}));
  EXPECT_EQ(strategy->views[1], (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(strategy->views[2], (std::vector<uint64_t>{2, 3, 5}));
  EXPECT_EQ(strategy->views[3], (std::vector<uint64_t>{3, 5, 1}));  // A's end woke main
  EXPECT_EQ(strategy->views[4], (std::vector<uint64_t>{5, 1}));
  loop.close();
}

// Draws from the ChoiceSource it is given: the draws are recorded, hashed and replayable.
class Drawing final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "drawing"; }
  size_t pick(const ReadyView& ready, ChoiceSource& choices) override {
    for (;;) {
      const auto i = static_cast<size_t>(choices.choose(ChoiceKind::kSchedule, ready.size()));
      if (ready.live(i)) return i;
    }
  }
};

TEST(StrategyTest, DrawsAreRecordedAndReplayReproducesTheRun) {
  SimConfig config{.seed = 11};
  config.strategy_factory = [] { return std::make_unique<Drawing>(); };
  auto a = sim::run(four_tasks(), config);
  auto b = sim::run(four_tasks(), config);
  ASSERT_FALSE(a.choices.empty());
  EXPECT_EQ(a.choices.front().kind, ChoiceKind::kSchedule);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.value(), b.value());
  std::vector<uint64_t> values;
  for (const auto& c : a.choices) values.push_back(c.value);
  auto replayed = sim::run(four_tasks(), config, std::make_unique<ListChoiceSource>(values));
  EXPECT_EQ(replayed.digest, a.digest);
  // A user strategy's digest differs from the built-in random one's for the same draws.
  auto random = sim::run(four_tasks(), SimConfig{.seed = 11, .strategy = Strategy::kRandom});
  EXPECT_NE(random.digest, a.digest);
}

TEST(StrategyTest, EachRunGetsAFreshStrategyFromTheFactory) {
  int made = 0;
  SimConfig config;
  config.strategy_factory = [&made] {
    ++made;
    return std::make_unique<PickThirdOnce>();
  };
  const SimConfig copy = config;  // as a sweep copies its config into each run
  // PickThirdOnce picks C once per instance: a shared instance would run the second FIFO.
  EXPECT_EQ(sim::run(four_tasks(), config).value(), (std::vector<std::string>{"C", "A", "B", "D"}));
  EXPECT_EQ(sim::run(four_tasks(), copy).value(), (std::vector<std::string>{"C", "A", "B", "D"}));
  EXPECT_EQ(made, 2);
}

// A strategy whose reorders() is false is the FIFO fast path: never asked, never told.
class NeverAsked final : public SchedulingStrategy {
 public:
  explicit NeverAsked(int* calls) : calls_(calls) {}
  std::string_view name() const override { return "never-asked"; }
  bool reorders() const override { return false; }
  size_t pick(const ReadyView&, ChoiceSource&) override { return ++*calls_, 0; }
  void on_task_created(uint64_t, std::string_view) override { ++*calls_; }
  void on_step(uint64_t, uint64_t) override { ++*calls_; }

 private:
  int* calls_;
};

TEST(StrategyTest, NonReorderingStrategyRunsFifoWithoutCalls) {
  int calls = 0;
  SimConfig config;
  config.strategy_factory = [&calls] { return std::make_unique<NeverAsked>(&calls); };
  EXPECT_EQ(sim::run(four_tasks(), config).value(), (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_EQ(calls, 0);
}

class OutOfRange final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "out-of-range"; }
  size_t pick(const ReadyView& ready, ChoiceSource&) override { return ready.size() + 6; }
};

TEST(StrategyTest, PickOutOfRangeIsARuntimeErrorNamingTheStrategy) {
  SimConfig config{.seed = 4};
  config.strategy_factory = [] { return std::make_unique<OutOfRange>(); };
  auto r = sim::run(four_tasks(), config);
  ASSERT_FALSE(r.ok());
  try {
    std::rethrow_exception(r.error());
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "strategy 'out-of-range' picked ready slot 7 of 1 at t=0.000000000s (seed 4): the "
              "slot must be below 1 and live (ReadyView::live)");
  }
}

// Takes slot 2 out of four, then picks that hole.
class PicksAHole final : public SchedulingStrategy {
 public:
  std::string_view name() const override { return "picks-a-hole"; }
  size_t pick(const ReadyView& ready, ChoiceSource&) override {
    if (ready.size() == 4 && ready.live_count() == 4) return 2;
    if (ready.size() > 2 && !ready.live(2)) return 2;
    return 0;
  }
};

TEST(StrategyTest, PickingAHoleIsARuntimeErrorNamingTheStrategy) {
  SimConfig config{.seed = 4};
  config.strategy_factory = [] { return std::make_unique<PicksAHole>(); };
  auto r = sim::run(four_tasks(), config);
  ASSERT_FALSE(r.ok());
  try {
    std::rethrow_exception(r.error());
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "strategy 'picks-a-hole' picked ready slot 2 of 4 (a hole) at t=0.000000000s "
              "(seed 4): the slot must be below 4 and live (ReadyView::live)");
  }
}

TEST(StrategyTest, FactoryReturningNullIsAValueError) {
  SimConfig config;
  config.strategy_factory = [] { return std::unique_ptr<SchedulingStrategy>(); };
  try {
    SimLoop loop(config);
    ADD_FAILURE() << "a null strategy was accepted";
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "SimConfig.strategy_factory returned no strategy (null)");
  }
}

TEST(StrategyTest, DeadlockReportNamesTheUserStrategy) {
  auto body = []() -> Task<void> {
    Future<int> never;
    co_await never;
  };
  SimConfig config{.seed = 2};
  config.strategy_factory = [] { return std::make_unique<NewestFirst>(nullptr); };
  auto r = sim::run(body(), config);
  ASSERT_FALSE(r.ok());
  try {
    std::rethrow_exception(r.error());
  } catch (const DeadlockError& e) {
    EXPECT_NE(std::string(e.what()).find("(seed 2, strategy newest)"), std::string::npos)
        << e.what();
  }
}

TEST(StrategyTest, BuiltInStrategiesHaveTheirNames) {
  EXPECT_EQ(make_strategy(Strategy::kFifo)->name(), "fifo");
  EXPECT_EQ(make_strategy(Strategy::kRandom)->name(), "random");
  EXPECT_FALSE(make_strategy(Strategy::kFifo)->reorders());
  EXPECT_TRUE(make_strategy(Strategy::kRandom)->reorders());
  EXPECT_EQ(sim::run(four_tasks(), SimConfig{.strategy = Strategy::kRandom}).strategy, "random");
}

}  // namespace
}  // namespace weft::sim

namespace weft::sim {
namespace {

// The random strategy records only the slot it takes (a draw that lands on a hole is drawn
// again, unrecorded): replaying the recorded choices reproduces the run and its digest, and
// takes exactly as many choices as were recorded.
// Eight tasks yielding twenty times each: enough ready entries for holes to appear.
Task<std::vector<int>> yielders() {
  std::vector<int> log;
  std::vector<TaskHandle<void>> tasks;
  for (int t = 0; t < 8; ++t) {
    tasks.push_back(create_task([](std::vector<int>& l, int id) -> Task<void> {
      for (int i = 0; i < 20; ++i) {
        l.push_back(id);
        co_await sleep(0);
      }
    }(log, t)));
  }
  for (auto& t : tasks) co_await t;
  co_return log;
}

TEST(StrategyTest, RandomRecordsOnlyTheSlotItTakesAndReplays) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const SimConfig config{.seed = seed, .strategy = Strategy::kRandom};
    auto a = sim::run(yielders(), config);
    ASSERT_TRUE(a.ok());
    std::vector<uint64_t> values;
    for (const auto& c : a.choices) values.push_back(c.value);
    // The run owns (and frees) its source: compare what the replay chose instead.
    auto replayed = sim::run(yielders(), config, std::make_unique<ListChoiceSource>(values));
    ASSERT_TRUE(replayed.ok());
    EXPECT_EQ(replayed.digest, a.digest) << "seed " << seed;
    EXPECT_EQ(replayed.value(), a.value()) << "seed " << seed;
    std::vector<uint64_t> again;
    for (const auto& c : replayed.choices) again.push_back(c.value);
    EXPECT_EQ(again, values) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft::sim
