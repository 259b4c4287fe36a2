// RapidCheck properties on the simulated loop with random scheduling (a seed drawn by
// RapidCheck): random producers, consumers and cancellations on a Queue never lose, duplicate or
// reorder an item and never exceed maxsize; random holders and cancellations on a
// BoundedSemaphore and a Lock never exceed their capacity and always give every unit back. Each
// run is checked against a plain sequential model.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/sync/bounded_semaphore.h"
#include "runtime/sync/lock.h"
#include "runtime/sync/queue.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace weft {
namespace {

constexpr uint64_t kSchedulesPerPlan = 16;

sim::SimConfig random_schedule(uint64_t seed) {
  return sim::SimConfig{.seed = seed, .strategy = sim::Strategy::kRandom, .max_steps = 1'000'000};
}

Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // Cancelled by the plan: that is part of the scenario, not a failure.
  }
}

// Cancels tasks[target] after `yields` loop iterations, for each (target, yields) in order;
// targets outside [first, tasks.size()) are skipped.
Task<void> canceller(std::vector<AnyTask>& tasks, size_t first,
                     const std::vector<std::pair<size_t, int>>& cancels) {
  for (const auto& [target, yields] : cancels) {
    for (int i = 0; i < yields; ++i) co_await sleep(0);
    if (target >= first && target < tasks.size()) tasks[target].cancel();
  }
}

// A value in [lo, hi) drawn at full size: RapidCheck scales inRange with its size parameter,
// which would keep the first cases' plans tiny. Shrinking still works.
template <class T>
T pick(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

bool coin(int one_in) { return get_running_loop().random().below(one_in) == 0; }

// ---- Queue ----

struct QueuePlan {
  size_t maxsize = 0;
  std::vector<std::vector<bool>> producers;  // per producer, per item: true = put_nowait
  size_t consumers = 1;
  std::vector<std::pair<size_t, int>> cancels;
};

struct QueueEvent {
  char op;  // 'P' put, 'G' get
  int item;
  size_t qsize_after;
};

struct QueueRecord {
  std::vector<QueueEvent> events;
  size_t rejected = 0;  // put_nowait refused with QueueFull
  bool joined = false;
  bool quiescent = false;
  bool getter_stuck = false;  // a consumer waited in get() while an item sat in the queue
};

Task<void> producer(Queue<int>& q, QueueRecord& rec, size_t p, const std::vector<bool>& nowait) {
  for (size_t i = 0; i < nowait.size(); ++i) {
    const int item = static_cast<int>(p * 1000 + i);
    if (nowait[i]) {
      bool put = false;
      try {
        q.put_nowait(item);
        put = true;
      } catch (const QueueFull&) {
        ++rec.rejected;
      }
      if (put) rec.events.push_back({'P', item, q.qsize()});
    } else {
      co_await q.put(item);
      // Nothing else runs between the put and this line: the log order is the queue's order.
      rec.events.push_back({'P', item, q.qsize()});
    }
    if (coin(2)) co_await sleep(0);
  }
}

Task<void> consumer(Queue<int>& q, QueueRecord& rec) {
  while (true) {
    std::optional<int> item;
    try {
      if (coin(3)) {
        try {
          item = q.get_nowait();
        } catch (const QueueEmpty&) {
          // Falls back to a waiting get() below.
        }
      }
      if (!item) item = co_await q.get();
    } catch (const QueueShutDown&) {
      co_return;
    }
    rec.events.push_back({'G', *item, q.qsize()});
    q.task_done();
    if (coin(2)) co_await sleep(0);
  }
}

Task<QueueRecord> queue_scenario(const QueuePlan& plan) {
  Queue<int> q(plan.maxsize, "q");
  QueueRecord rec;
  std::vector<AnyTask> tasks;
  for (size_t p = 0; p < plan.producers.size(); ++p) {
    tasks.push_back(create_task(producer(q, rec, p, plan.producers[p])));
  }
  for (size_t c = 0; c < plan.consumers; ++c) tasks.push_back(create_task(consumer(q, rec)));
  // Consumer 0 is never cancelled, so producers can always finish.
  auto c = create_task(canceller(tasks, 0, plan.cancels));
  for (size_t p = 0; p < plan.producers.size(); ++p) co_await settle(tasks[p]);
  co_await settle(c);
  // Liveness: once nothing else can run, no consumer may still wait while items are queued
  // (a wake-up lost with a cancelled getter would leave one stuck here).
  for (int i = 0; i < 100000 && get_running_loop().ready_count() > 0; ++i) co_await sleep(0);
  rec.quiescent = get_running_loop().ready_count() == 0;
  for (size_t i = plan.producers.size(); i < tasks.size(); ++i) {
    if (!tasks[i].done() && tasks[i].core()->waiting_on().starts_with("Queue.get") && !q.empty()) {
      rec.getter_stuck = true;
    }
  }
  q.shutdown();  // consumers drain what is left, then leave
  for (size_t i = plan.producers.size(); i < tasks.size(); ++i) co_await settle(tasks[i]);
  co_await q.join();  // every item got was marked done in the same step
  rec.joined = true;
  co_return rec;
}

void check_queue_run(const QueuePlan& plan, uint64_t seed) {
  auto r = sim::run(queue_scenario(plan), random_schedule(seed));
  if (!r.ok()) RC_FAIL(describe_exception(r.error()));
  QueueRecord rec = r.value();
  RC_ASSERT(rec.joined);
  RC_ASSERT(rec.quiescent);
  RC_ASSERT(!rec.getter_stuck);

  std::deque<int> model;
  size_t puts = 0;
  for (const auto& e : rec.events) {
    if (e.op == 'P') {
      model.push_back(e.item);
      ++puts;
      RC_ASSERT(plan.maxsize == 0 || model.size() <= plan.maxsize);
    } else {
      RC_ASSERT(!model.empty());
      RC_ASSERT(model.front() == e.item);
      model.pop_front();
    }
    RC_ASSERT(e.qsize_after == model.size());
  }
  RC_ASSERT(model.empty());  // everything put was got exactly once
  size_t attempted = 0;
  for (const auto& p : plan.producers) attempted += p.size();
  RC_ASSERT(puts + rec.rejected <= attempted);  // cancelled puts add nothing
}

RC_GTEST_PROP(SyncProperty, QueueNeverLosesDuplicatesOrReordersAndRespectsMaxsize, ()) {
  QueuePlan plan;
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  plan.maxsize = pick<size_t>(0, 4);
  const auto producers = pick<size_t>(1, 4);
  for (size_t p = 0; p < producers; ++p) {
    const auto items = pick<size_t>(0, 8);
    plan.producers.push_back(
        *rc::gen::container<std::vector<bool>>(items, rc::gen::arbitrary<bool>()));
  }
  plan.consumers = pick<size_t>(1, 4);
  const size_t targets = producers + plan.consumers;
  // Target 0..targets-1 are producers then consumers; consumer 0 (index `producers`) is spared.
  auto cancels = *rc::gen::container<std::vector<std::pair<size_t, int>>>(
      pick<size_t>(0, 9), rc::gen::resize(100, rc::gen::pair(rc::gen::inRange<size_t>(0, targets),
                                                             rc::gen::inRange(0, 4))));
  for (auto& [target, yields] : cancels) {
    if (target == producers) target = targets;  // out of range: skipped
    plan.cancels.emplace_back(target, yields);
  }

  // Each plan runs under several schedules: cheap, and it finds rare interleavings sooner.
  for (uint64_t k = 0; k < kSchedulesPerPlan; ++k) {
    check_queue_run(plan, seed + k);
  }
  RC_TAG(plan.maxsize == 0 ? "unbounded" : "bounded");
}

// ---- BoundedSemaphore and Lock ----

struct HoldPlan {
  int64_t value = 1;
  std::vector<int> holds;  // per task: yields while holding
  std::vector<std::pair<size_t, int>> cancels;
};

struct HoldRecord {
  int holders = 0;
  int max_holders = 0;
  int acquisitions = 0;
  int64_t final_value = -1;
  bool locked_when_drained = false;
  bool locked_at_end = true;
};

// Counts a holder for as long as it lives (also when a cancellation unwinds the holder).
struct Holding {
  explicit Holding(HoldRecord& r) : rec(r) {
    ++rec.acquisitions;
    rec.max_holders = std::max(rec.max_holders, ++rec.holders);
  }
  ~Holding() { --rec.holders; }
  HoldRecord& rec;
};

template <class P>
Task<void> holder(P& primitive, HoldRecord& rec, int yields) {
  auto guard = co_await primitive.scoped();
  Holding holding(rec);
  for (int i = 0; i < yields; ++i) co_await sleep(0);
}

Task<HoldRecord> semaphore_scenario(const HoldPlan& plan) {
  BoundedSemaphore s(plan.value, "s");
  HoldRecord rec;
  std::vector<AnyTask> tasks;
  for (int hold : plan.holds) tasks.push_back(create_task(holder(s, rec, hold)));
  auto c = create_task(canceller(tasks, 0, plan.cancels));
  for (auto& t : tasks) co_await settle(t);
  co_await settle(c);
  rec.final_value = s.value();
  // Exactly `value` units are free again: that many acquires pass without waiting, then none.
  for (int64_t i = 0; i < plan.value; ++i) co_await s.acquire();
  rec.locked_when_drained = s.locked();
  for (int64_t i = 0; i < plan.value; ++i) s.release();
  co_return rec;
}

Task<HoldRecord> lock_scenario(const HoldPlan& plan) {
  Lock lock("l");
  HoldRecord rec;
  std::vector<AnyTask> tasks;
  for (int hold : plan.holds) tasks.push_back(create_task(holder(lock, rec, hold)));
  auto c = create_task(canceller(tasks, 0, plan.cancels));
  for (auto& t : tasks) co_await settle(t);
  co_await settle(c);
  rec.locked_at_end = lock.locked();
  co_return rec;
}

HoldPlan hold_plan(int64_t value) {
  HoldPlan plan;
  plan.value = value;
  const auto n = pick<size_t>(1, 7);
  plan.holds =
      *rc::gen::container<std::vector<int>>(n, rc::gen::resize(100, rc::gen::inRange(0, 4)));
  plan.cancels = *rc::gen::container<std::vector<std::pair<size_t, int>>>(
      pick<size_t>(0, 5),
      rc::gen::resize(100, rc::gen::pair(rc::gen::inRange<size_t>(0, n), rc::gen::inRange(0, 6))));
  return plan;
}

RC_GTEST_PROP(SyncProperty, SemaphoreNeverExceedsItsValueAndGetsEveryUnitBack, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const HoldPlan plan = hold_plan(pick<int64_t>(1, 4));
  for (uint64_t k = 0; k < kSchedulesPerPlan; ++k) {
    auto r = sim::run(semaphore_scenario(plan), random_schedule(seed + k));
    if (!r.ok()) RC_FAIL(describe_exception(r.error()));
    const HoldRecord rec = r.value();
    RC_ASSERT(rec.max_holders <= plan.value);
    RC_ASSERT(rec.holders == 0);
    RC_ASSERT(rec.final_value == plan.value);
    RC_ASSERT(rec.locked_when_drained);
  }
}

RC_GTEST_PROP(SyncProperty, LockIsHeldByAtMostOneTask, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const HoldPlan plan = hold_plan(1);
  for (uint64_t k = 0; k < kSchedulesPerPlan; ++k) {
    auto r = sim::run(lock_scenario(plan), random_schedule(seed + k));
    if (!r.ok()) RC_FAIL(describe_exception(r.error()));
    const HoldRecord rec = r.value();
    RC_ASSERT(rec.max_holders <= 1);
    RC_ASSERT(rec.holders == 0);
    RC_ASSERT(!rec.locked_at_end);
  }
}

// The same seed gives the same run: the primitives add no nondeterminism of their own.
TEST(SyncDeterminism, SameSeedSameDigest) {
  QueuePlan plan;
  plan.maxsize = 2;
  plan.producers = {{false, true, false, false}, {true, false, false}};
  plan.consumers = 2;
  plan.cancels = {{0, 1}, {3, 2}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto a = sim::run(queue_scenario(plan), random_schedule(seed));
    auto b = sim::run(queue_scenario(plan), random_schedule(seed));
    ASSERT_TRUE(a.ok()) << describe_exception(a.error());
    ASSERT_EQ(a.digest, b.digest) << "seed " << seed;
    ASSERT_EQ(a.steps, b.steps) << "seed " << seed;
  }
}

}  // namespace
}  // namespace weft
