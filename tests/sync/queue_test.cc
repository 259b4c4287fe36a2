// Queue, PriorityQueue and LifoQueue on both loops: waiting, FIFO wake-up, cancellation in every
// waiting state, QueueFull/QueueEmpty, task_done/join, shutdown, deadlock descriptions.
#include "runtime/sync/queue.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/sync/lifo_queue.h"
#include "runtime/sync/priority_queue.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class QueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(QueueTest, testing::Worlds, testing::WorldNames);
// The tests of QueueFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class QueueFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(QueueFifoTest, testing::FifoWorlds, testing::WorldNames);

Task<void> getter(Queue<int>& q, Log& log, std::string who) {
  try {
    int v = co_await q.get();
    log.push_back(absl::StrCat(who, " got ", v));
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  } catch (const QueueShutDown&) {
    log.push_back(absl::StrCat(who, " QueueShutDown"));
  }
}

Task<void> putter(Queue<int>& q, Log& log, std::string who, int v) {
  try {
    co_await q.put(v);
    log.push_back(absl::StrCat(who, " put ", v));
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  } catch (const QueueShutDown&) {
    log.push_back(absl::StrCat(who, " QueueShutDown"));
  }
}

// Waits for a task whatever its outcome.
Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // The tests look at t.cancelled() and the log; the cancellation itself is expected.
  }
}

TYPED_TEST(QueueTest, GetWaitsUntilPut) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    auto g = create_task(getter(q, log, "g"));
    co_await sleep(0);
    log.push_back(absl::StrCat("empty=", q.empty()));
    q.put_nowait(7);
    co_await g;
    log.push_back(absl::StrCat("qsize=", q.qsize()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"empty=1", "g got 7", "qsize=0"}));
}

TYPED_TEST(QueueTest, PutWaitsWhileFull) {
  auto body = []() -> Task<Log> {
    Queue<int> q(1);
    Log log;
    q.put_nowait(1);
    auto p = create_task(putter(q, log, "p", 2));
    co_await sleep(0);
    log.push_back(absl::StrCat("full=", q.full(), " qsize=", q.qsize()));
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    co_await p;
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"full=1 qsize=1", "got 1", "p put 2", "got 2"}));
}

TYPED_TEST(QueueFifoTest, GettersAreServedInFifoOrder) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    auto g0 = create_task(getter(q, log, "g0"));
    auto g1 = create_task(getter(q, log, "g1"));
    auto g2 = create_task(getter(q, log, "g2"));
    co_await sleep(0);
    q.put_nowait(10);
    q.put_nowait(20);
    q.put_nowait(30);
    co_await g2;
    co_await g1;
    co_await g0;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"g0 got 10", "g1 got 20", "g2 got 30"}));
}

TYPED_TEST(QueueFifoTest, PuttersAreServedInFifoOrder) {
  auto body = []() -> Task<std::vector<int>> {
    Queue<int> q(1);
    Log log;
    q.put_nowait(0);
    auto p1 = create_task(putter(q, log, "p1", 1));
    auto p2 = create_task(putter(q, log, "p2", 2));
    auto p3 = create_task(putter(q, log, "p3", 3));
    co_await sleep(0);
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) got.push_back(co_await q.get());
    co_await p1;
    co_await p2;
    co_await p3;
    co_return got;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{0, 1, 2, 3}));
}

TYPED_TEST(QueueTest, NowaitRaisesQueueEmptyAndQueueFull) {
  auto body = []() -> Task<Log> {
    Queue<int> q(2);
    Log log;
    try {
      q.get_nowait();
    } catch (const QueueEmpty&) {
      log.push_back("QueueEmpty");
    }
    q.put_nowait(1);
    q.put_nowait(2);
    try {
      q.put_nowait(3);
    } catch (const QueueFull&) {
      log.push_back("QueueFull");
    }
    log.push_back(absl::StrCat("qsize=", q.qsize(), " maxsize=", q.maxsize()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"QueueEmpty", "QueueFull", "qsize=2 maxsize=2"}));
}

TYPED_TEST(QueueTest, UnboundedQueueIsNeverFull) {
  auto body = []() -> Task<bool> {
    Queue<int> q;
    for (int i = 0; i < 1000; ++i) q.put_nowait(i);
    co_return q.full() || q.qsize() != 1000;
  };
  EXPECT_FALSE(TypeParam::run(body()));
}

// asyncio: maxsize <= 0 means an infinite queue, and maxsize() returns what was given. A size_t
// parameter turned -1 into the bound 2^64-1 (and maxsize() into 18446744073709551615).
TYPED_TEST(QueueTest, NegativeMaxsizeMeansUnboundedForEveryKind) {
  auto body = []() -> Task<Log> {
    Queue<int> fifo(-1);
    LifoQueue<int> lifo(-3);
    PriorityQueue<int> heap(-1000);
    for (int i = 0; i < 1000; ++i) {
      fifo.put_nowait(i);
      lifo.put_nowait(i);
      heap.put_nowait(i);
    }
    co_await fifo.put(1000);  // never waits
    Log log;
    log.push_back(absl::StrCat("fifo maxsize=", fifo.maxsize(), " qsize=", fifo.qsize(),
                               " full=", fifo.full()));
    log.push_back(absl::StrCat("lifo maxsize=", lifo.maxsize(), " qsize=", lifo.qsize(),
                               " full=", lifo.full()));
    log.push_back(absl::StrCat("heap maxsize=", heap.maxsize(), " qsize=", heap.qsize(),
                               " full=", heap.full()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"fifo maxsize=-1 qsize=1001 full=0", "lifo maxsize=-3 qsize=1000 full=0",
                 "heap maxsize=-1000 qsize=1000 full=0"}));
}

TYPED_TEST(QueueFifoTest, GetterCancelledWhileWaitingTakesNothing) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    auto g = create_task(getter(q, log, "g"));
    co_await sleep(0);
    g.cancel();
    co_await settle(g);
    q.put_nowait(5);
    log.push_back(absl::StrCat("cancelled=", g.cancelled(), " qsize=", q.qsize()));
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"g cancelled", "cancelled=1 qsize=1", "got 5"}));
}

TYPED_TEST(QueueFifoTest, GetterCancelledAfterWakeUpPassesTheItemOn) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    auto g1 = create_task(getter(q, log, "g1"));
    auto g2 = create_task(getter(q, log, "g2"));
    co_await sleep(0);
    q.put_nowait(5);  // wakes g1 ...
    g1.cancel();      // ... which is cancelled before it can take the item
    co_await settle(g1);
    co_await g2;
    log.push_back(absl::StrCat("qsize=", q.qsize()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"g1 cancelled", "g2 got 5", "qsize=0"}));
}

TYPED_TEST(QueueFifoTest, PutterCancelledWhileWaitingAddsNothing) {
  auto body = []() -> Task<Log> {
    Queue<int> q(1);
    Log log;
    q.put_nowait(1);
    auto p = create_task(putter(q, log, "p", 2));
    co_await sleep(0);
    p.cancel();
    co_await settle(p);
    log.push_back(absl::StrCat("qsize=", q.qsize()));
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    log.push_back(absl::StrCat("empty=", q.empty()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"p cancelled", "qsize=1", "got 1", "empty=1"}));
}

TYPED_TEST(QueueFifoTest, PutterCancelledAfterWakeUpPassesTheSlotOn) {
  auto body = []() -> Task<Log> {
    Queue<int> q(1);
    Log log;
    q.put_nowait(0);
    auto p1 = create_task(putter(q, log, "p1", 1));
    auto p2 = create_task(putter(q, log, "p2", 2));
    co_await sleep(0);
    log.push_back(absl::StrCat("got ", q.get_nowait()));  // wakes p1 ...
    p1.cancel();                                          // ... which gives the slot up
    co_await settle(p1);
    co_await p2;
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    log.push_back(absl::StrCat("empty=", q.empty()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"got 0", "p1 cancelled", "p2 put 2", "got 2", "empty=1"}));
}

TYPED_TEST(QueueTest, TaskDoneCalledTooOftenRaisesValueError) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    q.put_nowait(1);
    q.get_nowait();
    q.task_done();
    try {
      q.task_done();
    } catch (const ValueError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"task_done() called too many times"}));
}

Task<void> joiner(Queue<int>& q, Log& log) {
  co_await q.join();
  log.push_back("joined");
}

Task<void> worker(Queue<int>& q, Log& log) {
  for (int i = 0; i < 2; ++i) {
    int v = co_await q.get();
    log.push_back(absl::StrCat("work ", v));
    co_await sleep(0);
    log.push_back(absl::StrCat("done ", v));
    q.task_done();
  }
}

TYPED_TEST(QueueTest, JoinWaitsUntilEveryItemIsDone) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    q.put_nowait(1);
    q.put_nowait(2);
    auto j = create_task(joiner(q, log));
    auto w = create_task(worker(q, log));
    co_await w;
    co_await j;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"work 1", "done 1", "work 2", "done 2", "joined"}));
}

TYPED_TEST(QueueTest, JoinReturnsAtOnceWhenNothingIsUnfinished) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    co_await q.join();
    log.push_back("joined empty");
    q.put_nowait(1);
    q.get_nowait();
    q.task_done();
    co_await q.join();
    log.push_back("joined after task_done");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"joined empty", "joined after task_done"}));
}

TYPED_TEST(QueueTest, CancelledJoinLeavesTheCountAlone) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    q.put_nowait(1);
    auto j1 = create_task(joiner(q, log));
    auto j2 = create_task(joiner(q, log));
    co_await sleep(0);
    j1.cancel();
    co_await settle(j1);
    q.get_nowait();
    q.task_done();
    co_await j2;
    log.push_back(absl::StrCat("j1 cancelled=", j1.cancelled()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"joined", "j1 cancelled=1"}));
}

TYPED_TEST(QueueFifoTest, ShutdownWakesGettersWithQueueShutDown) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    auto g1 = create_task(getter(q, log, "g1"));
    auto g2 = create_task(getter(q, log, "g2"));
    co_await sleep(0);
    q.shutdown();
    co_await g1;
    co_await g2;
    try {
      q.put_nowait(1);
    } catch (const QueueShutDown&) {
      log.push_back("put_nowait QueueShutDown");
    }
    try {
      co_await q.put(1);
    } catch (const QueueShutDown&) {
      log.push_back("put QueueShutDown");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"g1 QueueShutDown", "g2 QueueShutDown",
                                         "put_nowait QueueShutDown", "put QueueShutDown"}));
}

TYPED_TEST(QueueTest, ShutdownLetsGettersDrainTheQueue) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    q.put_nowait(1);
    q.put_nowait(2);
    q.shutdown();
    log.push_back(absl::StrCat("is_shutdown=", q.is_shutdown()));
    co_await getter(q, log, "a");
    co_await getter(q, log, "b");
    co_await getter(q, log, "c");
    try {
      q.get_nowait();
    } catch (const QueueShutDown&) {
      log.push_back("get_nowait QueueShutDown");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"is_shutdown=1", "a got 1", "b got 2", "c QueueShutDown",
                                         "get_nowait QueueShutDown"}));
}

TYPED_TEST(QueueTest, ShutdownWakesPuttersWithQueueShutDown) {
  auto body = []() -> Task<Log> {
    Queue<int> q(1);
    Log log;
    q.put_nowait(1);
    auto p = create_task(putter(q, log, "p", 2));
    co_await sleep(0);
    q.shutdown();
    co_await p;
    log.push_back(absl::StrCat("qsize=", q.qsize()));
    log.push_back(absl::StrCat("got ", q.get_nowait()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"p QueueShutDown", "qsize=1", "got 1"}));
}

TYPED_TEST(QueueTest, ImmediateShutdownDropsItemsAndReleasesJoin) {
  auto body = []() -> Task<Log> {
    Queue<int> q;
    Log log;
    q.put_nowait(1);
    q.put_nowait(2);
    auto j = create_task(joiner(q, log));
    co_await sleep(0);
    q.shutdown(/*immediate=*/true);
    log.push_back(absl::StrCat("qsize=", q.qsize()));
    co_await j;
    co_await getter(q, log, "g");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"qsize=0", "joined", "g QueueShutDown"}));
}

TYPED_TEST(QueueFifoTest, WaitersDescribeWhatTheyWaitFor) {
  auto body = []() -> Task<Log> {
    Queue<int> jobs(1, "jobs");
    Log log;
    auto g1 = create_task(getter(jobs, log, "g1"));
    auto g2 = create_task(getter(jobs, log, "g2"));
    co_await sleep(0);
    log.push_back(g1.core()->waiting_on());
    jobs.put_nowait(1);
    co_await g1;
    log.push_back(g2.core()->waiting_on());
    jobs.put_nowait(2);
    co_await g2;
    jobs.put_nowait(3);
    auto p = create_task(putter(jobs, log, "p", 4));
    co_await sleep(0);
    log.push_back(p.core()->waiting_on());
    jobs.get_nowait();
    co_await p;
    auto j = create_task(joiner(jobs, log));
    co_await sleep(0);
    log.push_back(j.core()->waiting_on());
    for (int i = 0; i < 3; ++i) jobs.task_done();
    jobs.shutdown(/*immediate=*/true);  // drops item 4, the last unfinished one
    co_await j;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"Queue.get on 'jobs' (empty, 2 getters)", "g1 got 1",
                                         "Queue.get on 'jobs' (empty, 1 getter)", "g2 got 2",
                                         "Queue.put on 'jobs' (full 1/1, 1 putter)", "p put 4",
                                         "Queue.join on 'jobs' (4 unfinished items)", "joined"}));
}

TYPED_TEST(QueueTest, MoveOnlyItems) {
  auto body = []() -> Task<int> {
    Queue<std::unique_ptr<int>> q(1);
    auto consumer = [](Queue<std::unique_ptr<int>>& q) -> Task<int> {
      auto p = co_await q.get();
      co_return *p;
    };
    auto c = create_task(consumer(q));
    co_await q.put(std::make_unique<int>(42));
    co_return co_await c;
  };
  EXPECT_EQ(TypeParam::run(body()), 42);
}

template <class W>
class PriorityQueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(PriorityQueueTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(PriorityQueueTest, SmallestFirst) {
  auto body = []() -> Task<std::vector<int>> {
    PriorityQueue<int> q;
    for (int v : {5, 1, 4, 2, 3}) co_await q.put(v);
    std::vector<int> out;
    while (!q.empty()) out.push_back(co_await q.get());
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{1, 2, 3, 4, 5}));
}

TYPED_TEST(PriorityQueueTest, ComparatorChoosesTheOrder) {
  auto body = []() -> Task<std::vector<int>> {
    PriorityQueue<int, std::greater<int>> q;
    for (int v : {5, 1, 4, 2, 3}) q.put_nowait(v);
    std::vector<int> out;
    while (!q.empty()) out.push_back(q.get_nowait());
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{5, 4, 3, 2, 1}));
}

struct Job {
  int priority;
  std::string label;
};
struct ByPriority {
  bool operator()(const Job& a, const Job& b) const { return a.priority < b.priority; }
};

TYPED_TEST(PriorityQueueTest, EqualItemsLeaveInHeapqOrder) {
  auto body = []() -> Task<std::string> {
    PriorityQueue<Job, ByPriority> q;
    for (auto& [p, l] : std::vector<std::pair<int, std::string>>{
             {2, "a"}, {1, "b"}, {2, "c"}, {1, "d"}, {2, "e"}, {1, "f"}, {0, "g"}, {2, "h"}}) {
      q.put_nowait(Job{p, l});
    }
    std::string out;
    while (!q.empty()) out += q.get_nowait().label;
    co_return out;
  };
  // What Python's heapq gives for the same pushes.
  EXPECT_EQ(TypeParam::run(body()), "gbfdchea");
}

TYPED_TEST(PriorityQueueTest, GetWaitsAndBoundsApply) {
  auto body = []() -> Task<Log> {
    PriorityQueue<int> q(2, "prio");
    Log log;
    q.put_nowait(3);
    q.put_nowait(1);
    try {
      q.put_nowait(2);
    } catch (const QueueFull&) {
      log.push_back("QueueFull");
    }
    int first = co_await q.get();
    int second = co_await q.get();
    log.push_back(absl::StrCat(first, ",", second));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"QueueFull", "1,3"}));
}

template <class W>
class LifoQueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(LifoQueueTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(LifoQueueTest, LastInFirstOut) {
  auto body = []() -> Task<std::vector<int>> {
    LifoQueue<int> q;
    for (int v : {1, 2, 3}) co_await q.put(v);
    std::vector<int> out;
    while (!q.empty()) out.push_back(co_await q.get());
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{3, 2, 1}));
}

TYPED_TEST(LifoQueueTest, JoinAndShutdownAsQueue) {
  auto body = []() -> Task<Log> {
    LifoQueue<int> q(1);
    Log log;
    q.put_nowait(1);
    log.push_back(absl::StrCat("full=", q.full()));
    q.get_nowait();
    q.task_done();
    co_await q.join();
    q.shutdown();
    try {
      co_await q.get();
    } catch (const QueueShutDown&) {
      log.push_back("QueueShutDown");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"full=1", "QueueShutDown"}));
}

}  // namespace
}  // namespace weft
