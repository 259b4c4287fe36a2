// Task<T>: laziness, value kinds, exception propagation, deep chains — on both loops.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class TaskTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaskTest, testing::Worlds, testing::WorldNames);
// The tests of TaskFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class TaskFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaskFifoTest, testing::FifoWorlds, testing::WorldNames);

Task<int> value(int v) { co_return v; }

TYPED_TEST(TaskTest, IsLazyUntilAwaited) {
  auto body = []() -> Task<std::vector<std::string>> {
    auto log = std::make_shared<std::vector<std::string>>();
    auto child = [](std::shared_ptr<std::vector<std::string>> l) -> Task<void> {
      l->push_back("child ran");
      co_return;
    }(log);
    log->push_back("created");
    co_await std::move(child);
    log->push_back("awaited");
    co_return *log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (std::vector<std::string>{"created", "child ran", "awaited"}));
}

TYPED_TEST(TaskTest, DestroyingAnUnstartedTaskNeverRunsIt) {
  auto body = []() -> Task<int> {
    int ran = 0;
    {
      auto t = [](int& r) -> Task<void> {
        ++r;
        co_return;
      }(ran);
    }
    co_await sleep(0);
    co_return ran;
  };
  EXPECT_EQ(TypeParam::run(body()), 0);
}

TYPED_TEST(TaskTest, ReturnsReferences) {
  auto body = []() -> Task<int> {
    int x = 1;
    auto ref = [](int& v) -> Task<int&> { co_return v; };
    int& r = co_await ref(x);
    r = 42;
    co_return x;
  };
  EXPECT_EQ(TypeParam::run(body()), 42);
}

TYPED_TEST(TaskTest, ReturnsMoveOnlyValues) {
  auto body = []() -> Task<int> {
    auto make = []() -> Task<std::unique_ptr<int>> {
      co_await sleep(0);
      co_return std::make_unique<int>(7);
    };
    std::unique_ptr<int> p = co_await make();
    auto handle = create_task(make());
    std::unique_ptr<int> q = co_await std::move(handle);
    co_return *p + *q;
  };
  EXPECT_EQ(TypeParam::run(body()), 14);
}

TYPED_TEST(TaskTest, PropagatesExceptionsThroughAwait) {
  auto body = []() -> Task<std::string> {
    auto fail = []() -> Task<int> {
      co_await sleep(0);
      throw std::out_of_range("deep");
    };
    try {
      co_await fail();
    } catch (const std::out_of_range& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "not caught";
  };
  EXPECT_EQ(TypeParam::run(body()), "caught deep");
}

TYPED_TEST(TaskTest, RunRethrowsMainsException) {
  auto body = []() -> Task<void> {
    co_await sleep(0);
    throw ValueError("bad");
  };
  EXPECT_THROW(TypeParam::run(body()), ValueError);
}

using Log = std::vector<std::string>;

constexpr const char* kReused =
    "co_await: cannot reuse already awaited Task (a Task runs once; to await one result from "
    "several places, create_task it and await the handle)";

// A Task runs once (asyncio: "cannot reuse already awaited coroutine"): a second await of an
// lvalue Task raises RuntimeError instead of resuming the finished coroutine.
TYPED_TEST(TaskTest, AwaitingAFinishedTaskAgainRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Task<int> t = value(3);
    int first = co_await t;
    log.push_back("first " + std::to_string(first));
    try {
      int second = co_await t;
      log.push_back("second " + std::to_string(second));
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"first 3", kReused}));
}

// The same while the first await is still running the Task (suspended inside it).
TYPED_TEST(TaskFifoTest, AwaitingATaskThatAnotherAwaitIsRunningRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Task<int> t = []() -> Task<int> {
      co_await sleep(0.01);
      co_return 4;
    }();
    auto first = create_task([](Task<int>& task, Log& l) -> Task<void> {
      int v = co_await task;
      l.push_back("first " + std::to_string(v));
    }(t, log));
    co_await sleep(0);  // `first` has started t, which now sleeps
    try {
      int v = co_await t;
      log.push_back("second " + std::to_string(v));
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_await first;
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{kReused, "first 4"}));
}

// A Task handed to create_task is empty: awaiting it is the same RuntimeError (it was an
// InvalidStateError before; one type for every "this Task cannot run" misuse).
TYPED_TEST(TaskTest, AwaitingATaskMovedIntoCreateTaskRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Task<int> t = value(5);
    auto handle = create_task(std::move(t));
    try {
      co_await t;  // NOLINT(bugprone-use-after-move): the misuse under test
      log.push_back("awaited");
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    } catch (const InvalidStateError& e) {
      log.push_back(std::string("InvalidStateError: ") + e.what());
    }
    int v = co_await handle;
    log.push_back("handle " + std::to_string(v));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"co_await: empty Task (moved from, or already handed to create_task)",
                 "handle 5"}));
}

TYPED_TEST(TaskTest, CreateTaskOfAnAwaitedOrEmptyTaskRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Task<int> t = value(6);
    int v = co_await t;
    log.push_back("awaited " + std::to_string(v));
    try {
      create_task(std::move(t));
      log.push_back("scheduled");
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    Task<int> empty;
    try {
      create_task(std::move(empty));
      log.push_back("scheduled");
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    } catch (const InvalidStateError& e) {
      log.push_back(std::string("InvalidStateError: ") + e.what());
    }
    co_await sleep(0);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"awaited 6",
                 "create_task: cannot reuse already awaited Task (a Task runs once; to await one "
                 "result from several places, create_task it and await the handle)",
                 "create_task: empty Task (moved from, or already handed to create_task)"}));
}

Task<int> chain(int depth) {
  if (depth == 0) {
    co_await sleep(0);
    co_return 0;
  }
  co_return 1 + co_await chain(depth - 1);
}

// A million nested awaits: symmetric transfer keeps the stack flat both on the way down and on
// the way back up (each level resumes its caller by tail call).
TYPED_TEST(TaskTest, MillionDeepChainDoesNotOverflow) {
  EXPECT_EQ(TypeParam::run(chain(1'000'000)), 1'000'000);
}

TYPED_TEST(TaskTest, ManySynchronousCompletionsInALoopDoNotOverflow) {
  auto body = []() -> Task<int> {
    int sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await value(1);
    co_return sum;
  };
  EXPECT_EQ(TypeParam::run(body()), 1'000'000);
}

}  // namespace
}  // namespace weft
