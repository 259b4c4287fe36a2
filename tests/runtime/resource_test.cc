// Resources (DESIGN.md §5): whatever wakes a task passes its loop-issued resource id to the ready
// entry, and LoopObserver::on_task_step reports it. On both loops: a Lock hand-off, a Queue
// get / put, an Event, a Future, a sleep's timer, a line across a connection; the simulated half
// over several seeds under both strategies, where the same seed gives the same ids.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/io/executor.h"
#include "runtime/io/streams.h"
#include "runtime/io/subprocess.h"
#include "runtime/sync/event.h"
#include "runtime/sync/lock.h"
#include "runtime/sync/queue.h"
#include "sim/proc/basic_programs.h"
#include "sim/proc/process_table.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

struct Step {
  uint64_t task;
  uint64_t resource;
  friend bool operator==(const Step& a, const Step& b) {
    return a.task == b.task && a.resource == b.resource;
  }
};

// Records (task id, resource) for every task step.
class StepRecorder final : public LoopObserver {
 public:
  void on_task_created(uint64_t, std::string_view) override {}
  void on_task_step(uint64_t task, uint64_t resource) override {
    steps.push_back({task, resource});
  }
  void on_task_done(uint64_t, TaskOutcome) override {}
  void on_callback(uint64_t) override {}
  void on_timer_fired(uint64_t, int64_t) override {}

  // The resources reported by `task`'s steps, in order.
  std::vector<uint64_t> of(uint64_t task) const {
    std::vector<uint64_t> out;
    for (const Step& s : steps) {
      if (s.task == task) out.push_back(s.resource);
    }
    return out;
  }
  std::vector<Step> steps;
};

// Runs `main` on a fresh loop of world W with `recorder` watching every step.
template <class W, class T>
T run_observed(Task<T> main, StepRecorder& recorder, sim::SimConfig config = {}) {
  if constexpr (W::kSimulated) {
    sim::SimLoop loop(config);
    loop.add_observer(&recorder);
    T value = loop.run_until_complete(std::move(main));
    loop.cancel_all_tasks();
    loop.close();
    return value;
  } else {
    EpollLoop loop;
    loop.add_observer(&recorder);
    T value = loop.run_until_complete(std::move(main));
    loop.cancel_all_tasks();
    loop.close();
    return value;
  }
}

// The configurations a test runs under: the real loop once; the simulated one over seeds and
// both strategies.
template <class W>
std::vector<sim::SimConfig> configs() {
  if constexpr (!W::kSimulated) {
    return {sim::SimConfig{}};
  } else {
    std::vector<sim::SimConfig> out;
    for (uint64_t seed = 0; seed < 25; ++seed) {
      out.push_back({.seed = seed, .strategy = sim::Strategy::kFifo});
      out.push_back({.seed = seed, .strategy = sim::Strategy::kRandom});
    }
    return out;
  }
}

std::string where(const sim::SimConfig& c) {
  return "seed " + std::to_string(c.seed) +
         (c.strategy == sim::Strategy::kRandom ? " random" : " fifo");
}

template <class W>
class ResourceTest : public ::testing::Test {};
TYPED_TEST_SUITE(ResourceTest, testing::Worlds, testing::WorldNames);

// ---- Lock ----

struct LockIds {
  uint64_t waiter = 0;  // task id
  uint64_t lock = 0;
  uint64_t started = 0;
  uint64_t main = 0;
};

Task<void> take_lock_after_signal(Lock& lock, Event& started) {
  started.set();
  co_await lock.acquire();  // held by main: waits
  lock.release();
}

Task<LockIds> lock_hand_off() {
  Lock lock;
  Event started;
  co_await lock.acquire();
  auto waiter = create_task(take_lock_after_signal(lock, started));
  co_await started.wait();  // the waiter is now queued on the lock
  lock.release();           // hands the lock to it
  co_await waiter;
  co_return LockIds{waiter.id(), lock.resource_id(), started.resource_id(),
                    current_task().id()};
}

TYPED_TEST(ResourceTest, LockHandOffWakesTheWaiterWithTheLocksId) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    LockIds ids = run_observed<TypeParam>(lock_hand_off(), rec, config);
    ASSERT_NE(ids.lock, 0u) << where(config);
    EXPECT_NE(ids.lock, ids.started) << where(config);
    // First step: nothing woke it (0); then the lock's release.
    EXPECT_EQ(rec.of(ids.waiter), (std::vector<uint64_t>{0, ids.lock})) << where(config);
    // Main: its first step, the Event's wake-up, then the waiter task's completion (a task is a
    // future with its own id: neither 0 nor any primitive's).
    auto main_steps = rec.of(ids.main);
    ASSERT_EQ(main_steps.size(), 3u) << where(config);
    EXPECT_EQ(main_steps[0], 0u);
    EXPECT_EQ(main_steps[1], ids.started);
    EXPECT_NE(main_steps[2], 0u);
    EXPECT_NE(main_steps[2], ids.lock);
    EXPECT_NE(main_steps[2], ids.started);
  }
}

// ---- Queue ----

struct QueueIds {
  uint64_t getter = 0;
  uint64_t putter = 0;
  uint64_t empty_queue = 0;
  uint64_t full_queue = 0;
};

Task<int> get_after_signal(Queue<int>& q, Event& started) {
  started.set();
  int v = co_await q.get();  // empty: waits for main's put
  co_return v;
}

Task<void> put_after_signal(Queue<int>& q, Event& started) {
  started.set();
  co_await q.put(2);  // full: waits for main's get
}

Task<QueueIds> queue_put_get() {
  Queue<int> empty;
  Queue<int> full(1);
  full.put_nowait(1);
  Event getter_started;
  Event putter_started;
  auto getter = create_task(get_after_signal(empty, getter_started));
  auto putter = create_task(put_after_signal(full, putter_started));
  co_await getter_started.wait();
  co_await putter_started.wait();
  empty.put_nowait(7);            // wakes the getter
  int first = full.get_nowait();  // wakes the putter
  int got = co_await getter;
  co_await putter;
  if (first != 1 || got != 7 || full.get_nowait() != 2) throw RuntimeError("queue values");
  co_return QueueIds{getter.id(), putter.id(), empty.resource_id(), full.resource_id()};
}

TYPED_TEST(ResourceTest, QueuePutWakesTheGetterAndGetWakesThePutterWithTheQueuesId) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    QueueIds ids = run_observed<TypeParam>(queue_put_get(), rec, config);
    ASSERT_NE(ids.empty_queue, 0u);
    EXPECT_NE(ids.empty_queue, ids.full_queue);
    EXPECT_EQ(rec.of(ids.getter), (std::vector<uint64_t>{0, ids.empty_queue})) << where(config);
    EXPECT_EQ(rec.of(ids.putter), (std::vector<uint64_t>{0, ids.full_queue})) << where(config);
  }
}

// ---- Event and Future ----

struct EventIds {
  uint64_t event_waiter = 0;
  uint64_t event = 0;
  uint64_t future_waiter = 0;
  uint64_t future = 0;
};

Task<void> wait_event(Event& ev, Event& started) {
  started.set();
  co_await ev.wait();
}

Task<int> await_future(Future<int> f, Event& started) {
  started.set();
  int v = co_await f;
  co_return v;
}

Task<EventIds> event_and_future() {
  Event ev;
  Event ev_started;
  Event fut_started;
  Future<int> fut;
  auto ev_waiter = create_task(wait_event(ev, ev_started));
  auto fut_waiter = create_task(await_future(fut, fut_started));
  co_await ev_started.wait();
  co_await fut_started.wait();
  ev.set();
  fut.set_result(5);
  co_await ev_waiter;
  int v = co_await fut_waiter;
  if (v != 5) throw RuntimeError("future value");
  co_return EventIds{ev_waiter.id(), ev.resource_id(), fut_waiter.id(), fut.resource_id()};
}

TYPED_TEST(ResourceTest, EventSetAndFutureResultWakeTheirWaitersWithTheirIds) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    EventIds ids = run_observed<TypeParam>(event_and_future(), rec, config);
    ASSERT_NE(ids.event, 0u);
    ASSERT_NE(ids.future, 0u);
    EXPECT_NE(ids.event, ids.future);
    EXPECT_EQ(rec.of(ids.event_waiter), (std::vector<uint64_t>{0, ids.event})) << where(config);
    EXPECT_EQ(rec.of(ids.future_waiter), (std::vector<uint64_t>{0, ids.future})) << where(config);
  }
}

// ---- sleep ----

struct SleepIds {
  uint64_t a = 0;
  uint64_t b = 0;
  std::vector<uint64_t> primitives;
};

Task<void> sleep_twice() {
  co_await sleep(0.01);
  co_await sleep(0.01);
}

Task<SleepIds> two_sleepers() {
  Lock lock;
  Event ev;
  auto a = create_task(sleep_twice());
  auto b = create_task(sleep_twice());
  co_await a;
  co_await b;
  co_return SleepIds{a.id(), b.id(), {lock.resource_id(), ev.resource_id()}};
}

TYPED_TEST(ResourceTest, EachSleepWakesWithItsOwnTimersId) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    SleepIds ids = run_observed<TypeParam>(two_sleepers(), rec, config);
    auto a = rec.of(ids.a);
    auto b = rec.of(ids.b);
    ASSERT_EQ(a.size(), 3u) << where(config);
    ASSERT_EQ(b.size(), 3u) << where(config);
    EXPECT_EQ(a[0], 0u);
    EXPECT_EQ(b[0], 0u);
    // Four timers, four ids: none 0, none shared, none a primitive's.
    std::set<uint64_t> timers{a[1], a[2], b[1], b[2]};
    EXPECT_EQ(timers.size(), 4u) << where(config);
    EXPECT_EQ(timers.count(0), 0u);
    for (uint64_t p : ids.primitives) EXPECT_EQ(timers.count(p), 0u) << where(config);
  }
}

// ---- A connection ----

struct NetIds {
  std::vector<uint64_t> handlers;     // server-side task per connection
  std::vector<uint64_t> server_ends;  // the server end's transport id, per connection
  std::vector<uint64_t> client_ends;  // the client end's transport id, per connection
  std::vector<std::string> lines;
};

Task<void> handle(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer,
                  NetIds& ids) {
  ids.handlers.push_back(current_task().id());
  ids.server_ends.push_back(writer->transport()->resource_id());
  while (true) {
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    ids.lines.push_back(line);
  }
  writer->close();
}

Task<void> send_lines(int port, std::string tag) {
  auto connect = open_connection("127.0.0.1", port);
  auto [reader, writer] = co_await std::move(connect);
  for (int i = 0; i < 3; ++i) {
    writer->write(tag + std::to_string(i) + "\n");
    co_await sleep(0.05);  // each line is its own delivery
  }
  writer->close();
  auto closed = writer->wait_closed();
  co_await std::move(closed);
}

Task<NetIds> two_connections() {
  NetIds ids;
  ClientConnectedCallback cb = [&ids](std::shared_ptr<StreamReader> r,
                                      std::shared_ptr<StreamWriter> w) {
    return handle(std::move(r), std::move(w), ids);
  };
  auto start = start_server(cb, "127.0.0.1", 0);
  std::shared_ptr<Server> server = co_await std::move(start);
  const int port = server->sockets().at(0).port;
  auto first = send_lines(port, "a");
  co_await std::move(first);
  auto second = send_lines(port, "b");
  co_await std::move(second);
  // The handlers finish once they read EOF.
  while (ids.lines.size() < 6 || ids.handlers.size() < 2) co_await sleep(0.01);
  co_await sleep(0.1);
  server->close();
  auto closed = server->wait_closed();
  co_await std::move(closed);
  co_return ids;
}

TYPED_TEST(ResourceTest, AReadWokenByTheNetworkReportsItsConnection) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    NetIds ids = run_observed<TypeParam>(two_connections(), rec, config);
    ASSERT_EQ(ids.handlers.size(), 2u) << where(config);
    EXPECT_EQ(ids.lines, (std::vector<std::string>{"a0\n", "a1\n", "a2\n", "b0\n", "b1\n",
                                                   "b2\n"}))
        << where(config);
    ASSERT_NE(ids.server_ends[0], 0u);
    EXPECT_NE(ids.server_ends[0], ids.server_ends[1]) << where(config);
    for (size_t c = 0; c < 2; ++c) {
      auto steps = rec.of(ids.handlers[c]);
      // The first step (nothing woke it), then a wake-up per delivery: the lines (split into
      // several reads on some seeds, or joined on a busy real machine) and EOF. Every one
      // reports the connection.
      ASSERT_GE(steps.size(), 2u) << where(config);
      EXPECT_EQ(steps[0], 0u) << where(config);
      for (size_t i = 1; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i], ids.server_ends[c]) << where(config) << " connection " << c;
      }
    }
  }
}

// ---- A child process ----

struct ProcessIds {
  uint64_t reader = 0;  // task id
  uint64_t process = 0;
  std::string out;
  int rc = -1;
};

Task<std::pair<std::string, int>> read_then_wait(std::shared_ptr<Process> proc) {
  std::string out = co_await proc->stdout_stream()->read();
  int rc = co_await proc->wait();
  co_return std::make_pair(out, rc);
}

template <class W>
Task<ProcessIds> echo_child() {
  if constexpr (W::kSimulated) sim::define_basic_programs(sim::current_loop().processes());
  SubprocessOptions options;
  options.stdout_mode = Stdio::kPipe;
  auto spawn = create_subprocess_exec({"echo", "hi"}, options);
  std::shared_ptr<Process> proc = co_await std::move(spawn);
  auto reader = create_task(read_then_wait(proc));
  auto [out, rc] = co_await reader;
  co_return ProcessIds{reader.id(), proc->resource_id(), out, rc};
}

TYPED_TEST(ResourceTest, PipeDataAndExitWakeTheReaderWithTheProcesssId) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    ProcessIds ids = run_observed<TypeParam>(echo_child<TypeParam>(), rec, config);
    EXPECT_EQ(ids.out, "hi\n");
    EXPECT_EQ(ids.rc, 0);
    ASSERT_NE(ids.process, 0u);
    auto steps = rec.of(ids.reader);
    ASSERT_GE(steps.size(), 1u);
    EXPECT_EQ(steps[0], 0u);
    // A simulated program starts after the spawn: the read waits at least once. A real child may
    // have finished before the reader's first step.
    if (TypeParam::kSimulated) EXPECT_GE(steps.size(), 2u) << where(config);
    for (size_t i = 1; i < steps.size(); ++i) EXPECT_EQ(steps[i], ids.process) << where(config);
  }
}

// ---- An executor job ----

struct JobIds {
  uint64_t main = 0;
  uint64_t job = 0;
};

Task<JobIds> one_job() {
  Future<int> fut = run_in_executor([] { return 6 * 7; });
  int v = co_await fut;
  if (v != 42) throw RuntimeError("job value");
  co_return JobIds{current_task().id(), fut.resource_id()};
}

TYPED_TEST(ResourceTest, AnExecutorCompletionWakesTheAwaiterWithTheJobsId) {
  for (const auto& config : configs<TypeParam>()) {
    StepRecorder rec;
    JobIds ids = run_observed<TypeParam>(one_job(), rec, config);
    ASSERT_NE(ids.job, 0u);
    EXPECT_EQ(rec.of(ids.main), (std::vector<uint64_t>{0, ids.job})) << where(config);
  }
}

// ---- Uniqueness and determinism ----

struct ManyIds {
  std::vector<uint64_t> ids;
};

Task<ManyIds> many_resources() {
  ManyIds out;
  std::vector<std::unique_ptr<Lock>> locks;
  std::vector<std::unique_ptr<Event>> events;
  std::vector<std::unique_ptr<Queue<int>>> queues;
  for (int i = 0; i < 20; ++i) {
    locks.push_back(std::make_unique<Lock>());
    events.push_back(std::make_unique<Event>());
    queues.push_back(std::make_unique<Queue<int>>());
    Future<void> f;
    out.ids.push_back(locks.back()->resource_id());
    out.ids.push_back(events.back()->resource_id());
    out.ids.push_back(queues.back()->resource_id());
    out.ids.push_back(f.resource_id());
  }
  co_return out;
}

TYPED_TEST(ResourceTest, IdsAreNeverReusedWithinARun) {
  StepRecorder rec;
  ManyIds many = run_observed<TypeParam>(many_resources(), rec);
  std::set<uint64_t> distinct(many.ids.begin(), many.ids.end());
  EXPECT_EQ(distinct.size(), many.ids.size());
  EXPECT_EQ(distinct.count(0), 0u);
}

TEST(ResourceSimTest, SameSeedSameResourcesAtEveryStep) {
  for (auto strategy : {sim::Strategy::kFifo, sim::Strategy::kRandom}) {
    for (uint64_t seed = 0; seed < 10; ++seed) {
      sim::SimConfig config{.seed = seed, .strategy = strategy};
      StepRecorder a;
      StepRecorder b;
      NetIds na = run_observed<testing::SimWorld>(two_connections(), a, config);
      NetIds nb = run_observed<testing::SimWorld>(two_connections(), b, config);
      EXPECT_EQ(na.server_ends, nb.server_ends) << where(config);
      EXPECT_EQ(a.steps, b.steps) << where(config);
      StepRecorder c;
      StepRecorder d;
      run_observed<testing::SimWorld>(lock_hand_off(), c, config);
      run_observed<testing::SimWorld>(lock_hand_off(), d, config);
      EXPECT_EQ(c.steps, d.steps) << where(config);
    }
  }
}

TEST(ResourceSimTest, BothEndsOfASimulatedConnectionShareItsId) {
  auto body = []() -> Task<std::pair<uint64_t, uint64_t>> {
    std::shared_ptr<StreamWriter> server_writer;
    ClientConnectedCallback cb = [&server_writer](std::shared_ptr<StreamReader>,
                                                  std::shared_ptr<StreamWriter> w) -> Task<void> {
      server_writer = w;
      co_return;
    };
    auto start = start_server(cb, "127.0.0.1", 0);
    std::shared_ptr<Server> server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    while (!server_writer) co_await sleep(0.01);
    std::pair<uint64_t, uint64_t> ids{writer->transport()->resource_id(),
                                      server_writer->transport()->resource_id()};
    writer->close();
    server_writer->close();
    server->close();
    co_return ids;
  };
  auto ids = testing::SimWorld::run(body());
  EXPECT_NE(ids.first, 0u);
  EXPECT_EQ(ids.first, ids.second);
}

}  // namespace
}  // namespace weft
