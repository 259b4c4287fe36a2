// Cancellation: asyncio's Task.cancel semantics on both loops.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class CancelTest : public ::testing::Test {};
TYPED_TEST_SUITE(CancelTest, testing::Worlds, testing::WorldNames);
// The tests of CancelFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class CancelFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(CancelFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;

TYPED_TEST(CancelFifoTest, CancelRaisesAtNextSuspension) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([](Log& l) -> Task<void> {
      l.push_back("start");
      try {
        co_await sleep(3600);
        l.push_back("woke");
      } catch (const CancelledError&) {
        l.push_back("cancelled in sleep");
        throw;
      }
    }(log));
    co_await sleep(0);
    EXPECT_TRUE(t.cancel());
    EXPECT_FALSE(t.done());  // delivered at the task's next step
    try {
      co_await t;
    } catch (const CancelledError&) {
      log.push_back("awaiter saw CancelledError");
    }
    log.push_back(t.cancelled() ? "task cancelled" : "task not cancelled");
    EXPECT_FALSE(t.cancel());  // done: nothing to cancel
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"start", "cancelled in sleep",
                                         "awaiter saw CancelledError", "task cancelled"}));
}

TYPED_TEST(CancelTest, TaskCancelledBeforeItStartsNeverRuns) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([](Log& l) -> Task<void> {
      l.push_back("ran");
      co_return;
    }(log));
    t.cancel("early");
    try {
      co_await t;
    } catch (const CancelledError& c) {
      log.push_back("CancelledError: " + c.message());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"CancelledError: early"}));
}

TYPED_TEST(CancelFifoTest, TaskMayCatchCancellationAndGoOn) {
  auto body = []() -> Task<int> {
    auto t = create_task([]() -> Task<int> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        // swallow and continue
      }
      co_await sleep(0);
      co_return 7;
    }());
    co_await sleep(0);
    t.cancel();
    int v = co_await t;
    co_return t.cancelled() ? -1 : v;
  };
  EXPECT_EQ(TypeParam::run(body()), 7);
}

TYPED_TEST(CancelTest, StdExceptionCatchDoesNotSwallowCancellation) {
  auto body = []() -> Task<std::string> {
    auto t = create_task([]() -> Task<std::string> {
      try {
        co_await sleep(10);
      } catch (const std::exception&) {
        co_return "swallowed";
      }
      co_return "finished";
    }());
    co_await sleep(0);
    t.cancel();
    try {
      co_return co_await t;
    } catch (const CancelledError&) {
      co_return "propagated";
    }
  };
  EXPECT_EQ(TypeParam::run(body()), "propagated");
}

TYPED_TEST(CancelFifoTest, CancellingAnAwaitingTaskCancelsTheAwaitedTask) {
  auto body = []() -> Task<Log> {
    Log log;
    auto inner = create_task([](Log& l) -> Task<void> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
        l.push_back("inner cancelled");
        throw;
      }
    }(log), "inner");
    auto outer = create_task([](TaskHandle<void> i, Log& l) -> Task<void> {
      try {
        co_await i;
      } catch (const CancelledError&) {
        l.push_back("outer cancelled");
        throw;
      }
    }(inner, log), "outer");
    co_await sleep(0);
    outer.cancel();
    try {
      co_await outer;
    } catch (const CancelledError&) {
    }
    log.push_back(std::string("inner.cancelled=") + (inner.cancelled() ? "1" : "0"));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"inner cancelled", "outer cancelled", "inner.cancelled=1"}));
}

TYPED_TEST(CancelFifoTest, CancelDuringSleepZeroIsDeliveredOnResume) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([](Log& l) -> Task<void> {
      l.push_back("yield");
      try {
        co_await sleep(0);
      } catch (const CancelledError&) {
        l.push_back("cancelled at yield");
        throw;
      }
      l.push_back("not reached");
    }(log));
    co_await sleep(0);  // t runs to its yield
    t.cancel();
    try {
      co_await t;
    } catch (const CancelledError&) {
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"yield", "cancelled at yield"}));
}

TYPED_TEST(CancelTest, SelfCancelIsDeliveredAtNextSuspension) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([](Log& l) -> Task<void> {
      current_task().cancel();
      l.push_back("still running");
      try {
        Future<int> never;
        co_await never;
      } catch (const CancelledError&) {
        l.push_back("cancelled at await");
      }
    }(log));
    co_await t;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"still running", "cancelled at await"}));
}

// asyncio's Task.__step: a coroutine that returns while a cancellation is pending (_must_cancel)
// ends cancelled, with the cancel message, and its value is dropped.
TYPED_TEST(CancelTest, SelfCancelThenReturnEndsCancelled) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([]() -> Task<int> {
      current_task().cancel("bye");
      co_return 7;
    }());
    try {
      int v = co_await t;
      log.push_back("value " + std::to_string(v));
    } catch (const CancelledError& c) {
      log.push_back("CancelledError: " + c.message());
    }
    log.push_back(t.cancelled() ? "task cancelled" : "task not cancelled");
    try {
      t.result();
      log.push_back("result returned");
    } catch (const CancelledError&) {
      log.push_back("result: CancelledError");
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"CancelledError: bye", "task cancelled", "result: CancelledError"}));
}

// asyncio: an exception other than CancelledError wins over a pending cancellation
// (Task.__step's `except BaseException: super().set_exception(exc)`).
TYPED_TEST(CancelTest, SelfCancelThenRaiseEndsWithTheException) {
  auto body = []() -> Task<Log> {
    Log log;
    auto t = create_task([]() -> Task<int> {
      current_task().cancel();
      throw ValueError("boom");
      co_return 7;
    }());
    try {
      co_await t;
    } catch (const ValueError& e) {
      log.push_back(std::string("ValueError: ") + e.what());
    } catch (const CancelledError&) {
      log.push_back("CancelledError");
    }
    log.push_back(t.cancelled() ? "task cancelled" : "task not cancelled");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"ValueError: boom", "task not cancelled"}));
}

// uncancel() withdraws the pending request: the task returns its value.
TYPED_TEST(CancelTest, SelfCancelUncancelThenReturnKeepsTheValue) {
  auto body = []() -> Task<std::string> {
    auto t = create_task([]() -> Task<int> {
      AnyTask me = current_task();
      me.cancel();
      me.cancel();
      me.uncancel();  // one request still pending
      if (me.cancelling() != 1) co_return -1;
      me.uncancel();
      co_return 7;
    }());
    int v = co_await t;
    co_return "value " + std::to_string(v);
  };
  EXPECT_EQ(TypeParam::run(body()), "value 7");
}

TYPED_TEST(CancelFifoTest, CancellingAndUncancelCount) {
  auto body = []() -> Task<std::vector<int>> {
    std::vector<int> out;
    auto t = create_task([]() -> Task<void> {
      try {
        co_await sleep(10);
      } catch (const CancelledError&) {
      }
    }());
    co_await sleep(0);
    out.push_back(t.cancelling());
    t.cancel();
    t.cancel();
    out.push_back(t.cancelling());
    out.push_back(t.uncancel());
    co_await t;
    out.push_back(t.cancelled() ? 1 : 0);
    co_return out;
  };
  EXPECT_EQ(TypeParam::run(body()), (std::vector<int>{0, 2, 1, 0}));
}

TYPED_TEST(CancelTest, UncancelToZeroWithdrawsPendingCancellation) {
  auto body = []() -> Task<std::string> {
    auto t = create_task([]() -> Task<std::string> {
      AnyTask me = current_task();
      me.cancel();
      me.uncancel();
      co_await sleep(0);
      co_return "not cancelled";
    }());
    co_return co_await t;
  };
  EXPECT_EQ(TypeParam::run(body()), "not cancelled");
}

TYPED_TEST(CancelTest, CancelMessageReachesTheTask) {
  auto body = []() -> Task<std::string> {
    auto t = create_task([]() -> Task<void> { co_await sleep(10); }());
    co_await sleep(0);
    t.cancel("shutting down");
    try {
      co_await t;
    } catch (const CancelledError& c) {
      co_return c.message();
    }
    co_return "?";
  };
  EXPECT_EQ(TypeParam::run(body()), "shutting down");
}

TYPED_TEST(CancelFifoTest, RunCancelsRemainingTasksAfterMain) {
  auto log = std::make_shared<Log>();
  auto body = [](std::shared_ptr<Log> l) -> Task<int> {
    create_task([](std::shared_ptr<Log> l2) -> Task<void> {
      bool cancelled = false;
      try {
        co_await sleep(3600);
      } catch (const CancelledError&) {
        l2->push_back("background cancelled at shutdown");
        cancelled = true;
      }
      if (cancelled) {
        co_await sleep(0);  // may still await while finishing
        l2->push_back("background finished");
        throw CancelledError();
      }
    }(l));
    co_await sleep(0);
    co_return 3;
  };
  EXPECT_EQ(TypeParam::run(body(log)), 3);
  EXPECT_EQ(*log, (Log{"background cancelled at shutdown", "background finished"}));
}

}  // namespace
}  // namespace weft
