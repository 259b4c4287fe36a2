// The hardware limit for W1, W3a and W4: a bare FIFO of std::coroutine_handle<>s and the
// smallest task type that can express the workloads — no cancellation, no registry, no
// exceptions, no names. Frames are heap-allocated as usual (g++ never elides them here), so the
// figure includes one frame allocation per task, as weft's does.
//   W1a: 1,000,000 trivial tasks spawned in batches of 1,000, joined by a countdown (gather).
//   W1b: 1,000,000 times: spawn one trivial task onto the FIFO, await it (create_task + await).
//   W3a: 10,000 tasks x 100 yields (a yield re-queues the coroutine at the back).
//   W4:  a chain of 1,000,000 nested awaits by symmetric transfer.
// Build: g++ -O2 -std=c++20 bare_fifo.cc. Args: workload names (default: all).
#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <utility>
#include <vector>

#include "peer_util.h"

namespace {

std::deque<std::coroutine_handle<>> g_ready;

void run_ready() {
  while (!g_ready.empty()) {
    std::coroutine_handle<> h = g_ready.front();
    g_ready.pop_front();
    h.resume();
  }
}

// Counts down the children of one gather; the last one queues the waiter.
struct Group {
  int64_t remaining = 0;
  std::coroutine_handle<> waiter;
};

template <class T>
class Task {
 public:
  struct promise_type {
    T value{};
    std::coroutine_handle<> continuation;
    Group* group = nullptr;
    bool spawned = false;
    bool done = false;

    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct Final {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        promise_type& p = h.promise();
        if (!p.spawned) return p.continuation;  // awaited inline: symmetric transfer back
        p.done = true;
        if (p.group) {
          if (--p.group->remaining == 0) g_ready.push_back(p.group->waiter);
        } else if (p.continuation) {
          g_ready.push_back(p.continuation);
        }
        return std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    void return_value(T v) { value = std::move(v); }
    void unhandled_exception() { std::terminate(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (h_) h_.destroy();
    h_ = std::exchange(o.h_, {});
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  // Inline await (W4).
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }
  T await_resume() { return std::move(h_.promise().value); }

  // Puts the task on the FIFO (create_task); its owner keeps the frame until it is joined.
  void spawn(Group* group = nullptr) {
    h_.promise().spawned = true;
    h_.promise().group = group;
    g_ready.push_back(h_);
  }
  // Awaits a spawned task's completion (the waiter is queued when it finishes).
  auto join() {
    struct Join {
      Handle h;
      bool await_ready() const noexcept { return h.promise().done; }
      void await_suspend(std::coroutine_handle<> caller) noexcept {
        h.promise().continuation = caller;
      }
      T await_resume() { return std::move(h.promise().value); }
    };
    return Join{h_};
  }
  bool done() const { return h_.promise().done; }

 private:
  Handle h_;
};

struct Yield {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_ready.push_back(h); }
  void await_resume() const noexcept {}
};

// Waits until a group's children are all done.
struct WaitGroup {
  Group* group;
  bool await_ready() const noexcept { return group->remaining == 0; }
  void await_suspend(std::coroutine_handle<> h) noexcept { group->waiter = h; }
  void await_resume() const noexcept {}
};

Task<int> trivial() { co_return 1; }

Task<int64_t> gather_batches(int64_t total) {
  int64_t done = 0;
  std::vector<Task<int>> batch;
  while (done < total) {
    batch.clear();
    Group group;
    for (int64_t i = 0; i < peer::kW1Batch && done + i < total; ++i) batch.push_back(trivial());
    group.remaining = static_cast<int64_t>(batch.size());
    for (auto& t : batch) t.spawn(&group);
    co_await WaitGroup{&group};
    for (auto& t : batch) done += t.join().await_resume();
  }
  co_return done;
}

Task<int64_t> create_and_await(int64_t total) {
  int64_t done = 0;
  for (int64_t i = 0; i < total; ++i) {
    Task<int> t = trivial();
    t.spawn();
    done += co_await t.join();
  }
  co_return done;
}

Task<int> yielder(int64_t yields) {
  for (int64_t i = 0; i < yields; ++i) co_await Yield{};
  co_return 0;
}

Task<int64_t> yield_all(int64_t tasks, int64_t yields) {
  std::vector<Task<int>> all;
  all.reserve(tasks);
  for (int64_t i = 0; i < tasks; ++i) all.push_back(yielder(yields));
  Group group;
  group.remaining = tasks;
  for (auto& t : all) t.spawn(&group);
  co_await WaitGroup{&group};
  co_return tasks * yields;
}

Task<int64_t> chain(int64_t depth) {
  if (depth == 0) co_return 0;
  co_return co_await chain(depth - 1) + 1;
}

// Runs `main` as the root task to completion and returns its value.
int64_t run_main(Task<int64_t> main) {
  main.spawn();
  run_ready();
  if (!main.done()) peer::fail("main did not finish");
  return main.join().await_resume();
}

}  // namespace

int main(int argc, char** argv) {
  if (peer::selected(argc, argv, "W1a")) {
    const int64_t n = peer::w1_tasks();
    peer::Stopwatch sw;
    if (run_main(gather_batches(n)) != n) peer::fail("W1a count");
    sw.report("W1a", n);
  }
  if (peer::selected(argc, argv, "W1b")) {
    const int64_t n = peer::w1_tasks();
    peer::Stopwatch sw;
    if (run_main(create_and_await(n)) != n) peer::fail("W1b count");
    sw.report("W1b", n);
  }
  if (peer::selected(argc, argv, "W3a")) {
    const int64_t tasks = peer::w3a_tasks();
    peer::Stopwatch sw;
    if (run_main(yield_all(tasks, peer::kW3aYields)) != tasks * peer::kW3aYields) {
      peer::fail("W3a count");
    }
    sw.report("W3a", tasks * peer::kW3aYields);
  }
  if (peer::selected(argc, argv, "W4")) {
    const int64_t depth = peer::w4_depth();
    peer::Stopwatch sw;
    if (run_main(chain(depth)) != depth) peer::fail("W4 depth");
    sw.report("W4", depth);
  }
  return 0;
}
