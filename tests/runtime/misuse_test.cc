// Misuse of a loop, its tasks and futures gets a clear RuntimeError, never a crash: awaiting a
// task of a closed loop or of another loop, using a running loop from another thread — on both
// loops.
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class MisuseTest : public ::testing::Test {};
TYPED_TEST_SUITE(MisuseTest, testing::Worlds, testing::WorldNames);
// The tests of MisuseFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class MisuseFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(MisuseFifoTest, testing::FifoWorlds, testing::WorldNames);

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
    Task<void> first = await_logging(t, log);
    co_await first;
    Task<void> second = await_logging(any, log);
    co_await second;
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
    Task<void> first = await_logging(t, log);
    co_await first;
    Task<void> second = await_logging(f, log);
    co_await second;
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

std::string thread_name(std::thread::id id) {
  std::ostringstream out;
  out << std::hex << std::showbase << id;
  return out.str();
}

// Runs `fn` on a new thread (the loop's thread waits for it) and returns what it raised:
// "<thread>: <RuntimeError message>", or "<thread>: no error".
template <class F>
std::string on_other_thread(F fn) {
  std::string out;
  std::thread th([&] {
    const std::string self = thread_name(std::this_thread::get_id());
    try {
      fn();
      out = self + ": no error";
    } catch (const RuntimeError& e) {
      out = self + ": " + e.what();
    } catch (...) {
      out = self + ": another exception";
    }
  });
  th.join();
  return out;
}

template <class W>
std::string advice() {
  return W::kSimulated
             ? "the simulated world has no threads: do the work in a task or callback of the loop"
             : "only call_soon_threadsafe may be called from another thread";
}

Task<void> bump(int& n) {
  ++n;
  co_return;
}

// The loop used from another thread while it runs corrupted the ready queue and the timer heap
// (SEGV in run_once); now each call raises RuntimeError naming both threads, changes nothing,
// and the loop goes on.
TYPED_TEST(MisuseFifoTest, LoopMethodsFromAnotherThreadRaiseRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    auto& loop = get_running_loop();
    int ran = 0;
    log.push_back(on_other_thread([&] { loop.call_soon([&] { ++ran; }); }));
    log.push_back(on_other_thread([&] { loop.call_later(0.0, [&] { ++ran; }); }));
    log.push_back(on_other_thread([&] { loop.call_at(loop.time(), [&] { ++ran; }); }));
    log.push_back(on_other_thread([&] { loop.create_task(bump(ran)); }));
    log.push_back(on_other_thread([&] { (void)loop.template create_future<int>(); }));
    co_await sleep(0.001);
    // The loop still works, and nothing the other thread asked for ran.
    loop.call_soon([&] { ran += 10; });
    co_await sleep(0);
    auto last = create_task(bump(ran));
    co_await last;
    log.push_back("ran " + std::to_string(ran));
    co_return log;
  };
  const std::string owner = thread_name(std::this_thread::get_id());
  const Log log = TypeParam::run(body());
  ASSERT_EQ(log.size(), 6u);
  const char* methods[] = {"call_soon", "call_later", "call_at", "create_task", "create_future"};
  for (size_t i = 0; i < 5; ++i) {
    const std::string other = log[i].substr(0, log[i].find(':'));
    EXPECT_NE(other, owner);
    EXPECT_EQ(log[i], other + ": EventLoop." + methods[i] + " called from thread " + other +
                          " but the loop runs on thread " + owner + "; " + advice<TypeParam>());
  }
  EXPECT_EQ(log[5], "ran 11");
}

TYPED_TEST(MisuseTest, FutureAndTaskChangesFromAnotherThreadRaiseRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Future<int> f;
    auto t = create_task(forever());
    log.push_back(on_other_thread([&] { f.set_result(1); }));
    log.push_back(on_other_thread([&] { f.set_exception(ValueError("x")); }));
    log.push_back(on_other_thread([&] { f.cancel(); }));
    log.push_back(on_other_thread([&] { t.cancel(); }));
    log.push_back(std::string("future done: ") + (f.done() ? "yes" : "no"));
    log.push_back(std::string("task done: ") + (t.done() ? "yes" : "no"));
    f.set_result(2);
    int v = co_await f;
    log.push_back("value " + std::to_string(v));
    t.cancel();
    co_return log;
  };
  const std::string owner = thread_name(std::this_thread::get_id());
  const Log log = TypeParam::run(body());
  ASSERT_EQ(log.size(), 7u);
  const char* calls[] = {"Future.set_result", "Future.set_exception", "Future.cancel",
                         "Task.cancel"};
  for (size_t i = 0; i < 4; ++i) {
    const std::string other = log[i].substr(0, log[i].find(':'));
    EXPECT_EQ(log[i], other + ": " + calls[i] + " called from thread " + other +
                          " but the loop runs on thread " + owner + "; " + advice<TypeParam>());
  }
  EXPECT_EQ(log[4], "future done: no");
  EXPECT_EQ(log[5], "task done: no");
  EXPECT_EQ(log[6], "value 2");
}

// call_soon_threadsafe stays the way in from another thread on the real loop, while the loop
// waits; the simulated world has no threads and refuses it.
TYPED_TEST(MisuseTest, CallSoonThreadsafeIsTheWayInFromAnotherThread) {
  auto body = []() -> Task<std::string> {
    auto& loop = get_running_loop();
    Future<int> f;
    if constexpr (TypeParam::kSimulated) {
      std::string msg = on_other_thread([&] { loop.call_soon_threadsafe([] {}); });
      co_return msg.substr(msg.find(": ") + 2);
    } else {
      auto deliver = [f]() mutable { f.set_result(42); };
      std::thread th([&loop, deliver = std::move(deliver)]() mutable {
        loop.call_soon_threadsafe(std::move(deliver));
      });
      int v = co_await f;
      th.join();
      co_return "value " + std::to_string(v);
    }
  };
  EXPECT_EQ(TypeParam::run(body()),
            TypeParam::kSimulated
                ? "SimLoop::call_soon_threadsafe called from another thread: the simulated world "
                  "has no threads (a real thread or executor leaked into the simulation)"
                : "value 42");
}

}  // namespace
}  // namespace weft
