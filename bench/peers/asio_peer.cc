// The Boost.Asio peer (C++20 awaitables on one io_context, one thread), doing what weft's
// benchmarks do:
//   W1a: 1,000,000 trivial co_spawn'ed coroutines in batches of 1,000, each batch joined by a
//        countdown that wakes the spawner (gather).
//   W1b: 1,000,000 times `co_await co_spawn(ex, trivial(), use_awaitable)` (create_task + await).
//   W2:  two coroutines bounce an integer through two experimental::channel<> (Boost >= 1.80
//        only), 1,000,000 messages.
//   W3a: 10,000 coroutines x 100 `co_await post(ex, use_awaitable)`.
//   W3b: 1,000,000 coroutines each awaiting a steady_timer with a spread deadline; a third are
//        cancelled (timer.cancel()) after every timer is armed and before it fires.
//   W4:  a chain of 1,000,000 nested `co_await`s of awaitable<int64_t>.
// Build: g++ -O2 -std=c++20 -I<boost include> asio_peer.cc -pthread. Args: workload names.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>

#include <boost/asio.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108000
#include <boost/asio/experimental/channel.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "peer_util.h"

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

awaitable<int64_t> trivial() { co_return 1; }

// Sleeps until `wake` is cancelled (a one-shot event).
awaitable<void> wait_event(asio::steady_timer& wake) {
  boost::system::error_code ec;
  auto token = asio::redirect_error(use_awaitable, ec);
  co_await wake.async_wait(token);
}

awaitable<int64_t> gather_batches(int64_t total) {
  auto ex = co_await asio::this_coro::executor;
  int64_t done = 0;
  while (done < total) {
    const int64_t n = std::min(peer::kW1Batch, total - done);
    int64_t remaining = n;
    int64_t sum = 0;
    asio::steady_timer wake(ex, asio::steady_timer::time_point::max());
    for (int64_t i = 0; i < n; ++i) {
      asio::co_spawn(ex, trivial(), [&](std::exception_ptr e, int64_t v) {
        if (e) peer::fail("W1a child failed");
        sum += v;
        if (--remaining == 0) wake.cancel();
      });
    }
    if (remaining > 0) co_await wait_event(wake);
    done += sum;
  }
  co_return done;
}

awaitable<int64_t> create_and_await(int64_t total) {
  auto ex = co_await asio::this_coro::executor;
  int64_t done = 0;
  for (int64_t i = 0; i < total; ++i) {
    auto spawned = asio::co_spawn(ex, trivial(), use_awaitable);
    done += co_await std::move(spawned);
  }
  co_return done;
}

#if BOOST_VERSION >= 108000
using Channel = asio::experimental::channel<void(boost::system::error_code, int64_t)>;

awaitable<void> ponger(Channel& in, Channel& out, int64_t rounds) {
  for (int64_t i = 0; i < rounds; ++i) {
    int64_t v = co_await in.async_receive(use_awaitable);
    const boost::system::error_code ok;
    co_await out.async_send(ok, v + 1, use_awaitable);
  }
}

awaitable<int64_t> pingpong(int64_t messages, int64_t* result) {
  auto ex = co_await asio::this_coro::executor;
  Channel ping(ex, 1);
  Channel pong(ex, 1);
  const int64_t rounds = messages / 2;
  asio::co_spawn(ex, ponger(ping, pong, rounds), asio::detached);
  int64_t v = 0;
  const boost::system::error_code ok;
  for (int64_t i = 0; i < rounds; ++i) {
    co_await ping.async_send(ok, v, use_awaitable);
    v = co_await pong.async_receive(use_awaitable);
  }
  *result = v;
  co_return v;
}
#endif

awaitable<void> yielder(int64_t yields) {
  auto ex = co_await asio::this_coro::executor;
  for (int64_t i = 0; i < yields; ++i) co_await asio::post(ex, use_awaitable);
}

struct TimerRun {
  std::vector<asio::steady_timer> timers;
  // Cancellation requested for sleeper i. A timer that expired before cancel() still completes
  // without error; weft raises CancelledError in that case (cancelling a task whose sleep is
  // done but not yet resumed), so the sleeper checks this flag too.
  std::vector<char> cancel_requested;
  int64_t armed = 0;
  int64_t finished = 0;
  int64_t fired = 0;
  std::unique_ptr<asio::steady_timer> all_armed;
  std::unique_ptr<asio::steady_timer> all_finished;
};

awaitable<void> sleeper(TimerRun& run, int64_t i) {
  asio::steady_timer& t = run.timers[static_cast<size_t>(i)];
  t.expires_after(std::chrono::microseconds(peer::w3b_delay_us(i)));
  if (++run.armed == static_cast<int64_t>(run.timers.size())) run.all_armed->cancel();
  co_await t.async_wait(use_awaitable);  // throws operation_aborted when cancelled
  if (run.cancel_requested[static_cast<size_t>(i)]) {
    throw boost::system::system_error(asio::error::operation_aborted);
  }
}

awaitable<int64_t> timers(int64_t n) {
  auto ex = co_await asio::this_coro::executor;
  TimerRun run;
  run.timers.reserve(static_cast<size_t>(n));
  run.all_armed = std::make_unique<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
  run.all_finished =
      std::make_unique<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
  for (int64_t i = 0; i < n; ++i) run.timers.emplace_back(ex);
  run.cancel_requested.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    asio::co_spawn(ex, sleeper(run, i), [&run](std::exception_ptr e) {
      if (!e) ++run.fired;
      if (++run.finished == static_cast<int64_t>(run.timers.size())) run.all_finished->cancel();
    });
  }
  // Every sleeper has armed its timer once all_armed is cancelled (Boost 1.81's co_spawn may
  // run a sleeper inline up to its first suspension, so they may all be armed already).
  if (run.armed < n) co_await wait_event(*run.all_armed);
  for (int64_t i = 0; i < n; ++i) {
    if (peer::w3b_cancelled(i)) {
      run.cancel_requested[static_cast<size_t>(i)] = 1;
      run.timers[static_cast<size_t>(i)].cancel();
    }
  }
  if (run.finished < n) co_await wait_event(*run.all_finished);
  co_return run.fired;
}

awaitable<int64_t> chain(int64_t depth) {
  if (depth == 0) co_return 0;
  auto inner = chain(depth - 1);
  co_return co_await std::move(inner) + 1;
}

// Runs `main` on a fresh io_context to completion and returns its value.
int64_t run_main(awaitable<int64_t> main) {
  asio::io_context ioc(1);
  int64_t result = -1;
  asio::co_spawn(ioc, std::move(main), [&](std::exception_ptr e, int64_t v) {
    if (e) peer::fail("main failed");
    result = v;
  });
  ioc.run();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string version = "boost=" + std::to_string(BOOST_VERSION / 100000) + "." +
                              std::to_string(BOOST_VERSION / 100 % 1000);
  if (peer::selected(argc, argv, "W1a")) {
    const int64_t n = peer::w1_tasks();
    peer::Stopwatch sw;
    if (run_main(gather_batches(n)) != n) peer::fail("W1a count");
    sw.report("W1a", n, version);
  }
  if (peer::selected(argc, argv, "W1b")) {
    const int64_t n = peer::w1_tasks();
    peer::Stopwatch sw;
    if (run_main(create_and_await(n)) != n) peer::fail("W1b count");
    sw.report("W1b", n, version);
  }
#if BOOST_VERSION >= 108000
  if (peer::selected(argc, argv, "W2")) {
    const int64_t n = peer::w2_messages();
    int64_t result = -1;
    peer::Stopwatch sw;
    run_main(pingpong(n, &result));
    if (result != n / 2) peer::fail("W2 result");
    sw.report("W2", n / 2 * 2, version);
  }
#endif
  if (peer::selected(argc, argv, "W3a")) {
    const int64_t tasks = peer::w3a_tasks();
    peer::Stopwatch sw;
    {
      asio::io_context ioc(1);
      for (int64_t i = 0; i < tasks; ++i) {
        asio::co_spawn(ioc, yielder(peer::kW3aYields), asio::detached);
      }
      ioc.run();
    }
    sw.report("W3a", tasks * peer::kW3aYields, version);
  }
  if (peer::selected(argc, argv, "W3b")) {
    const int64_t n = peer::w3b_timers();
    peer::Stopwatch sw;
    if (run_main(timers(n)) != n - (n + 2) / 3) peer::fail("W3b fired count");
    sw.report("W3b", n, version);
  }
  if (peer::selected(argc, argv, "W4")) {
    const int64_t depth = peer::w4_depth();
    peer::Stopwatch sw;
    if (run_main(chain(depth)) != depth) peer::fail("W4 depth");
    sw.report("W4", depth, version);
  }
  return 0;
}
