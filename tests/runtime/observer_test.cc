// LoopObserver on both worlds: any number of observers, called in the order added; task, callback
// and timer events (armed / fired / cancelled) named by loop-issued ids; remove_observer.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/weft.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using testing::FifoWorlds;
using testing::Worlds;
using testing::WorldNames;

// Every event as a line (the step's resource is left out: what each step reports as its resource
// is the resource ids' business, tested with them).
class Recorder : public LoopObserver {
 public:
  explicit Recorder(std::vector<std::string>& out, std::string prefix = {})
      : out_(out), prefix_(std::move(prefix)) {}
  void on_task_created(uint64_t id, std::string_view name) override {
    add("created " + std::to_string(id) + " " + std::string(name));
  }
  void on_task_step(uint64_t id, uint64_t) override { add("step " + std::to_string(id)); }
  void on_task_done(uint64_t id, TaskOutcome outcome) override {
    static const char* const kOutcome[] = {"result", "exception", "cancelled"};
    add("done " + std::to_string(id) + " " + kOutcome[static_cast<int>(outcome)]);
  }
  void on_callback(uint64_t id) override { add("callback " + std::to_string(id)); }
  void on_timer_armed(uint64_t id, int64_t when_ns) override {
    add("armed " + std::to_string(id));
    armed_when[id] = when_ns;
  }
  void on_timer_fired(uint64_t id, int64_t when_ns) override {
    add("fired " + std::to_string(id));
    fired_when[id] = when_ns;
  }
  void on_timer_cancelled(uint64_t id) override { add("cancelled " + std::to_string(id)); }

  std::map<uint64_t, int64_t> armed_when;
  std::map<uint64_t, int64_t> fired_when;

 private:
  void add(std::string line) { out_.push_back(prefix_ + line); }
  std::vector<std::string>& out_;
  std::string prefix_;
};

// Overrides one hook only: the others keep their empty default bodies.
class FiredOnly : public LoopObserver {
 public:
  void on_timer_fired(uint64_t id, int64_t) override { fired.push_back(id); }
  std::vector<uint64_t> fired;
};

Task<int> ok_child() { co_return 5; }
Task<int> bad_child() {
  throw ValueError("bad");
  co_return 0;
}
Task<int> sleepy_child() {
  co_await sleep(1000);
  co_return 0;
}

// A timer armed and cancelled, one armed by sleep that fires, a callback; three children ending
// with a result, an exception and a cancellation.
Task<int> program(int64_t* cancelled_when) {
  auto& loop = get_running_loop();
  TimerHandle never = loop.call_later(1000, [] {});
  *cancelled_when = never.when_ns();
  never.cancel();
  auto ok = create_task(ok_child(), "ok");
  auto bad = create_task(bad_child(), "bad");
  auto sleepy = create_task(sleepy_child(), "sleepy");
  co_await sleep(0.001);
  sleepy.cancel();
  int sum = co_await ok;
  try {
    co_await bad;
  } catch (const ValueError&) {
    sum += 10;
  }
  try {
    co_await sleepy;
  } catch (const CancelledError&) {
    sum += 100;
  }
  loop.call_soon([] {});
  co_await sleep(0);
  co_return sum;
}

template <class W>
class ObserverTest : public ::testing::Test {};
TYPED_TEST_SUITE(ObserverTest, Worlds, WorldNames);
// The tests of ObserverFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class ObserverFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(ObserverFifoTest, FifoWorlds, WorldNames);

TYPED_TEST(ObserverFifoTest, SeesTasksCallbacksAndTimersInOrder) {
  auto loop = TypeParam::make_loop();
  std::vector<std::string> events;
  Recorder recorder(events);
  FiredOnly fired_only;
  loop->add_observer(&recorder);
  loop->add_observer(&fired_only);
  int64_t cancelled_when = 0;
  auto main = program(&cancelled_when);
  EXPECT_EQ(loop->run_until_complete(std::move(main)), 115);
  loop->close();
  EXPECT_EQ(events, (std::vector<std::string>{
                        "created 1 Task-1",
                        "step 1",
                        "armed 1",       // call_later(1000)
                        "cancelled 1",   // never.cancel()
                        "created 2 ok",
                        "created 3 bad",
                        "created 4 sleepy",
                        "armed 2",       // main's sleep(0.001)
                        "step 2",
                        "done 2 result",
                        "step 3",
                        "done 3 exception",
                        "step 4",
                        "armed 3",       // sleepy's sleep(1000)
                        "fired 2",
                        "callback 2",    // the due sleep runs as its timer callback
                        "step 1",
                        "step 4",
                        "cancelled 3",   // sleepy.cancel(): its sleep disarms the timer
                        "done 4 cancelled",
                        "step 1",
                        "callback 4",    // call_soon
                        "step 1",
                        "done 1 result",
                        "callback 5",    // run_until_complete's done callback (stops the loop)
                    }));
  EXPECT_EQ(recorder.armed_when.at(1), cancelled_when);
  EXPECT_EQ(recorder.fired_when.at(2), recorder.armed_when.at(2));
  EXPECT_EQ(fired_only.fired, (std::vector<uint64_t>{2}));
}

TYPED_TEST(ObserverTest, ObserversRunInTheOrderAddedAndRemovedOnesStop) {
  auto loop = TypeParam::make_loop();
  std::vector<std::string> events;
  Recorder a(events, "a: ");
  Recorder b(events, "b: ");
  loop->add_observer(&a);
  loop->add_observer(&b);
  auto body = [](EventLoop& l, Recorder* b) -> Task<void> {
    co_await sleep(0);
    EXPECT_TRUE(l.remove_observer(b));
    EXPECT_FALSE(l.remove_observer(b));
    co_await sleep(0);
  };
  loop->run_until_complete(body(*loop, &b));
  loop->close();
  EXPECT_EQ(events, (std::vector<std::string>{
                        "a: created 1 Task-1",
                        "b: created 1 Task-1",
                        "a: step 1",
                        "b: step 1",
                        "a: step 1",
                        "b: step 1",
                        "a: step 1",  // b removed during the second step
                        "a: done 1 result",
                        "a: callback 1",  // run_until_complete's done callback
                    }));
}

TYPED_TEST(ObserverTest, NullOrDuplicateObserverIsAValueError) {
  auto loop = TypeParam::make_loop();
  FiredOnly o;
  try {
    loop->add_observer(nullptr);
    ADD_FAILURE() << "no error for a null observer";
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "add_observer: the observer is null");
  }
  loop->add_observer(&o);
  try {
    loop->add_observer(&o);
    ADD_FAILURE() << "no error for a duplicate observer";
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "add_observer: this observer was already added to the loop");
  }
  EXPECT_TRUE(loop->remove_observer(&o));
  EXPECT_FALSE(loop->remove_observer(&o));
  loop->close();
}

}  // namespace
}  // namespace weft
