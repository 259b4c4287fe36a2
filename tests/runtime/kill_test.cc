// Killing a task group (EventLoop::kill_group, TaskBase::kill): what a simulated node crash does
// to its tasks — they end abruptly, never run again, release what they waited on, and leak
// nothing. Core behaviour, so it runs on both loops.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/sync/lock.h"
#include "runtime/sync/queue.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class KillTest : public ::testing::Test {};
TYPED_TEST_SUITE(KillTest, testing::Worlds, testing::WorldNames);
// The tests of KillFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class KillFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(KillFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;
constexpr uint16_t kGroup = 7;

template <class T>
TaskHandle<T> spawn_in_group(Task<T> coro, std::string name = {}) {
  TaskHandle<T> h = create_task(std::move(coro), std::move(name));
  h.state()->set_group(kGroup);
  return h;
}

// Records its destruction, to show the frame's locals are destroyed.
struct Sentinel {
  Log* log;
  std::string name;
  ~Sentinel() { log->push_back("~" + name); }
};

TYPED_TEST(KillTest, KilledTaskNeverRunsAgainAndEndsCancelled) {
  auto body = []() -> Task<Log> {
    Log log;
    auto victim = spawn_in_group([](Log& l) -> Task<void> {
      Sentinel s{&l, "victim"};
      l.push_back("start");
      try {
        co_await sleep(0.02);
      } catch (...) {
        l.push_back("caught");  // a kill is not a cancellation: no handler runs
        throw;
      }
      l.push_back("woke");
    }(log));
    co_await sleep(0.01);
    log.push_back("kill " + std::to_string(get_running_loop().kill_group(kGroup)));
    log.push_back(victim.done() ? "done" : "not done");
    log.push_back(victim.cancelled() ? "cancelled" : "not cancelled");
    try {
      co_await victim;
    } catch (const CancelledError& e) {
      log.push_back("awaiter: CancelledError " + e.message());
    }
    co_await sleep(0.03);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"start", "~victim", "kill 1", "done", "cancelled", "awaiter: CancelledError killed"}));
}

TYPED_TEST(KillTest, NestedFramesAreDestroyedInnermostFirst) {
  auto body = []() -> Task<Log> {
    Log log;
    auto inner = [](Log& l) -> Task<int> {
      Sentinel s{&l, "inner"};
      co_await sleep(1);
      co_return 1;
    };
    auto victim = spawn_in_group([](Log& l, auto make_inner) -> Task<void> {
      Sentinel s{&l, "outer"};
      Task<int> child = make_inner(l);
      co_await std::move(child);
    }(log, inner));
    co_await sleep(0.01);
    get_running_loop().kill_group(kGroup);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"~inner", "~outer"}));
}

TYPED_TEST(KillFifoTest, ChildrenInheritTheGroupAndOthersAreUntouched) {
  // Yields, not timers, so the real loop gives the same interleaving under any machine load.
  auto body = []() -> Task<Log> {
    Log log;
    auto ticker = [](Log& l, std::string name) -> Task<void> {
      for (int i = 1; i <= 3; ++i) {
        co_await sleep(0);
        l.push_back(name + std::to_string(i));
      }
    };
    auto parent = spawn_in_group([](Log& l, auto tick) -> Task<void> {
      auto child = create_task(tick(l, "child"));
      co_await child;
    }(log, ticker));
    auto bystander = create_task(ticker(log, "other"));
    for (int i = 0; i < 3; ++i) co_await sleep(0);
    log.push_back("killed " + std::to_string(get_running_loop().kill_group(kGroup)));
    co_await bystander;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"other1", "child1", "other2", "killed 2", "other3"}));
}

TYPED_TEST(KillTest, KilledLockWaiterDoesNotSwallowTheLock) {
  auto body = []() -> Task<Log> {
    Log log;
    Lock lock("l");
    co_await lock.acquire();
    auto waiter = [](Log& l, Lock& lk, std::string name) -> Task<void> {
      co_await lk.acquire();
      l.push_back(name + " got the lock");
      lk.release();
    };
    spawn_in_group(waiter(log, lock, "victim"));
    auto survivor = create_task(waiter(log, lock, "survivor"));
    co_await sleep(0);
    get_running_loop().kill_group(kGroup);
    lock.release();
    co_await survivor;
    log.push_back(lock.locked() ? "locked" : "free");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"survivor got the lock", "free"}));
}

TYPED_TEST(KillTest, KilledQueueGetterLosesNoItem) {
  auto body = []() -> Task<Log> {
    Log log;
    Queue<int> q;
    auto getter = [](Log& l, Queue<int>& queue, std::string name) -> Task<void> {
      int v = co_await queue.get();
      l.push_back(name + " got " + std::to_string(v));
    };
    spawn_in_group(getter(log, q, "victim"));
    auto survivor = create_task(getter(log, q, "survivor"));
    co_await sleep(0);
    get_running_loop().kill_group(kGroup);
    q.put_nowait(42);
    co_await survivor;
    log.push_back("left " + std::to_string(q.qsize()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"survivor got 42", "left 0"}));
}

TYPED_TEST(KillTest, KillingAWaiterDoesNotCancelTheTaskItAwaits) {
  auto body = []() -> Task<Log> {
    Log log;
    auto worker = create_task([](Log& l) -> Task<int> {
      co_await sleep(0.02);
      l.push_back("worker finished");
      co_return 5;
    }(log));
    spawn_in_group([](Log& l, TaskHandle<int> w) -> Task<void> {
      int v = co_await w;
      l.push_back("victim saw " + std::to_string(v));
    }(log, worker));
    co_await sleep(0.01);
    get_running_loop().kill_group(kGroup);
    log.push_back("worker result " + std::to_string(co_await worker));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"worker finished", "worker result 5"}));
}

TYPED_TEST(KillFifoTest, ATaskKillingItsOwnGroupDiesAtItsNextSuspension) {
  auto body = []() -> Task<Log> {
    Log log;
    auto self = spawn_in_group([](Log& l) -> Task<void> {
      Sentinel s{&l, "self"};
      l.push_back("killed " + std::to_string(get_running_loop().kill_group(kGroup)));
      l.push_back("still running until it yields");
      co_await sleep(0);
      l.push_back("after yield");
    }(log));
    try {
      co_await self;
    } catch (const CancelledError&) {
      log.push_back("awaiter: CancelledError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"killed 1", "still running until it yields", "~self",
                                         "awaiter: CancelledError"}));
}

TYPED_TEST(KillTest, GroupZeroCannotBeKilled) {
  auto body = []() -> Task<bool> {
    try {
      get_running_loop().kill_group(0);
    } catch (const ValueError&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(TypeParam::run(body()));
}

}  // namespace
}  // namespace weft
