// Cancellation storm: random cancels of many nested tasks, on both loops and many seeds, leave
// no live task and no coroutine frame behind (run it under --config=asan too).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace weft {
namespace {

// Counts live coroutine frames of the storm: one FrameCount lives in every frame.
int g_live_frames = 0;
struct FrameCount {
  FrameCount() { ++g_live_frames; }
  ~FrameCount() { --g_live_frames; }
};

Task<int> node(int depth, std::vector<AnyTask>& registry) {
  FrameCount count;
  Random& rng = weft::random();
  co_await sleep(static_cast<double>(rng.below(5)) * 0.0001);
  if (depth == 0) {
    if (rng.below(4) == 0) throw ValueError("leaf failed");
    co_return 1;
  }
  std::vector<TaskHandle<int>> children;
  const int fanout = 1 + static_cast<int>(rng.below(3));
  for (int i = 0; i < fanout; ++i) {
    children.push_back(create_task(node(depth - 1, registry)));
    registry.push_back(children.back());
  }
  int sum = 0;
  switch (rng.below(3)) {
    case 0:  // gather with return_exceptions
      for (auto& o : co_await gather(return_exceptions, children)) sum += o.ok() ? o.value() : 0;
      break;
    case 1:  // await one by one, catching failures and cancellations of children
      for (auto& c : children) {
        try {
          sum += co_await c;
        } catch (const ValueError&) {
        } catch (const CancelledError&) {
          if (current_task().cancelling() > 0) throw;  // we were cancelled ourselves
        }
      }
      break;
    default:  // wait_for with a timeout on a gather
      try {
        auto values = co_await wait_for(gather(children), 0.0003);
        for (int v : values) sum += v;
      } catch (const TimeoutError&) {
      } catch (const ValueError&) {
      }
      break;
  }
  co_return sum;
}

Task<int> storm() {
  FrameCount count;
  std::vector<AnyTask> registry;
  std::vector<TaskHandle<int>> roots;
  for (int i = 0; i < 6; ++i) {
    roots.push_back(create_task(node(3, registry)));
    registry.push_back(roots.back());
  }
  Random& rng = weft::random();
  for (int round = 0; round < 20; ++round) {
    co_await sleep(static_cast<double>(rng.below(3)) * 0.0001);
    for (int k = 0; k < 3 && !registry.empty(); ++k) {
      registry[rng.below(registry.size())].cancel("storm");
    }
  }
  auto outcomes = co_await gather(return_exceptions, roots);
  int finished = 0;
  for (auto& o : outcomes) finished += o.ok() ? 1 : 0;
  // A node cancelled while awaiting its children one by one leaves the children it had not yet
  // awaited running (asyncio does the same): the roots can be done before such orphans. Wait
  // for every task the storm created; then only main may be left.
  for (auto& t : registry) {
    try {
      co_await t;
    } catch (...) {
      // The outcome does not matter here (cancelled, failed or not); only that it is done.
    }
  }
  if (all_tasks().size() != 1) throw RuntimeError("tasks left behind");
  co_return finished;
}

TEST(CancelStormTest, SimulatedSeedsLeaveNoTaskAndNoFrame) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    auto r = sim::run(storm(), sim::SimConfig{.seed = seed, .strategy = sim::Strategy::kRandom});
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << describe_exception(r.error());
    ASSERT_EQ(g_live_frames, 0) << "seed " << seed;
  }
}

TEST(CancelStormTest, RealLoopLeavesNoTaskAndNoFrame) {
  for (int i = 0; i < 5; ++i) {
    weft::run(storm());
    ASSERT_EQ(g_live_frames, 0);
  }
}

// Seeds where a cancelled node's unawaited children outlived the roots (the property test found
// them); the storm must wait for them instead of reporting them as left behind.
TEST(CancelStormTest, OrphanedChildrenAreWaitedFor) {
  for (uint64_t seed : {uint64_t{164509508}, uint64_t{14637690545}}) {
    auto r = sim::run(storm(), sim::SimConfig{.seed = seed, .strategy = sim::Strategy::kRandom});
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << describe_exception(r.error());
    ASSERT_EQ(g_live_frames, 0) << "seed " << seed;
  }
}

TEST(CancelStormTest, DeterministicPerSeed) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto a = sim::run(storm(), config);
    auto b = sim::run(storm(), config);
    ASSERT_EQ(a.digest, b.digest) << "seed " << seed;
    ASSERT_EQ(a.value(), b.value()) << "seed " << seed;
  }
}

// Abandoning tasks at loop close (no cancellation at all) destroys their frames too.
TEST(CancelStormTest, ClosingTheLoopDestroysUnfinishedFrames) {
  {
    sim::SimLoop loop;
    auto body = []() -> Task<void> {
      for (int i = 0; i < 10; ++i) {
        create_task([]() -> Task<void> {
          FrameCount c;
          Future<int> never;
          co_await never;
        }());
      }
      co_await sleep(0);
    };
    loop.run_until_complete(body());
    EXPECT_EQ(g_live_frames, 10);
    loop.close();
    EXPECT_EQ(g_live_frames, 0);
  }
}

RC_GTEST_PROP(CancelStormProperty, AnySeedLeavesNothingBehind, (uint64_t seed)) {
  auto r = sim::run(storm(), sim::SimConfig{.seed = seed, .strategy = sim::Strategy::kRandom});
  RC_ASSERT(r.ok());
  RC_ASSERT(g_live_frames == 0);
}

}  // namespace
}  // namespace weft
