// Misuse of a loop, its tasks and futures gets a clear RuntimeError, never a crash: awaiting a
// task of a closed loop or of another loop — on both loops.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class MisuseTest : public ::testing::Test {};
TYPED_TEST_SUITE(MisuseTest, testing::Worlds, testing::WorldNames);

using Log = std::vector<std::string>;

Task<void> forever() {
  Future<void> never;
  co_await never;
}

Task<void> one_yield() { co_await sleep(0); }

// Awaits `awaitable` and logs the RuntimeError's message (or what happened instead).
template <class A>
Task<void> await_logging(A& awaitable, Log& log) {
  try {
    co_await awaitable;
    log.push_back("no error");
  } catch (const RuntimeError& e) {
    log.push_back(e.what());
  } catch (const CancelledError&) {
    log.push_back("CancelledError");
  }
}

// The task's loop ran it to its first suspension and then closed (its frame is destroyed and
// it is detached from the loop): awaiting it used to dereference the null loop pointer.
TYPED_TEST(MisuseTest, AwaitingATaskOfAClosedLoopRaisesRuntimeError) {
  auto other = TypeParam::make_loop();
  TaskHandle<void> orphan = other->create_task(forever(), "orphan");
  other->run_until_complete(one_yield());
  other->close();
  auto body = [](TaskHandle<void>& t, AnyTask& any) -> Task<Log> {
    Log log;
    co_await await_logging(t, log);
    co_await await_logging(any, log);
    try {
      any.add_done_callback([](AnyTask) {});
      log.push_back("callback added");
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_await sleep(0);  // the loop goes on
    log.push_back("still running");
    co_return log;
  };
  AnyTask any = orphan;
  EXPECT_EQ(TypeParam::run(body(orphan, any)),
            (Log{"awaiting Task 'orphan' whose event loop is closed",
                 "awaiting Task 'orphan' whose event loop is closed",
                 "add_done_callback on Task 'orphan' whose event loop is closed",
                 "still running"}));
}

// A pending task or future of another loop that is still open: asyncio's "Task ... got Future
// ... attached to a different loop" (it used to say "outside a task").
TYPED_TEST(MisuseTest, AwaitingATaskOrFutureOfAnotherLoopRaisesRuntimeError) {
  auto other = TypeParam::make_loop();
  TaskHandle<void> foreign = other->create_task(forever(), "foreign");
  Future<int> fut = other->template create_future<int>();
  auto body = [](TaskHandle<void>& t, Future<int>& f) -> Task<Log> {
    Log log;
    co_await await_logging(t, log);
    co_await await_logging(f, log);
    co_await sleep(0);
    log.push_back("still running");
    co_return log;
  };
  auto main = body(foreign, fut);
  auto loop = TypeParam::make_loop();
  const Log log = loop->run_until_complete(loop->create_task(std::move(main), "main"));
  loop->close();
  other->close();
  EXPECT_EQ(log, (Log{"awaiting Task 'foreign' attached to a different loop (in task 'main'; a "
                      "future or task belongs to the loop that created it)",
                      "awaiting Future attached to a different loop (in task 'main'; a future "
                      "or task belongs to the loop that created it)",
                      "still running"}));
}

// A done future of another loop has nothing to wait for: its result is read, as in asyncio.
TYPED_TEST(MisuseTest, AwaitingADoneFutureOfAnotherLoopReadsItsResult) {
  auto other = TypeParam::make_loop();
  Future<int> fut = other->template create_future<int>();
  fut.set_result(9);
  auto body = [](Future<int>& f) -> Task<int> { co_return co_await f; };
  EXPECT_EQ(TypeParam::run(body(fut)), 9);
  other->close();
}

}  // namespace
}  // namespace weft
