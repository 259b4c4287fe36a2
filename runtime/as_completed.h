// weft::as_completed: asyncio.as_completed in its async-iterator form (Python 3.13): yields the
// given tasks/futures in the order they complete; the consumer awaits each for its result.
//   auto it = as_completed(tasks, 5.0);
//   while (auto t = co_await it.next()) { use(co_await *t); }
// If `timeout` passes before all are done, next() raises TimeoutError.
#ifndef WEFT_RUNTIME_AS_COMPLETED_H_
#define WEFT_RUNTIME_AS_COMPLETED_H_

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/async_generator.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/task_handle.h"

namespace weft {

template <class H>
AsyncGenerator<H> as_completed(std::vector<H> fs, std::optional<double> timeout = std::nullopt) {
  EventLoop& loop = get_running_loop();
  struct Shared {
    std::deque<H> finished;
    std::optional<Future<void>> wake;
    bool timed_out = false;
    void notify() {
      if (wake && !wake->done()) wake->set_result();
    }
  };
  auto shared = std::make_shared<Shared>();
  for (auto& f : fs) {
    f.core()->add_done_callback([shared, f] {
      shared->finished.push_back(f);
      shared->notify();
    });
  }
  TimerHandle timer;
  if (timeout) {
    timer = loop.call_later(*timeout, [shared] {
      shared->timed_out = true;
      shared->notify();
    });
  }
  struct CancelTimer {
    TimerHandle& t;
    ~CancelTimer() { t.cancel(); }
  } cancel_timer{timer};
  for (size_t left = fs.size(); left > 0; --left) {
    while (shared->finished.empty()) {
      if (shared->timed_out) throw TimeoutError();
      shared->wake.emplace(loop);
      co_await *shared->wake;
    }
    H next = std::move(shared->finished.front());
    shared->finished.pop_front();
    co_yield std::move(next);
  }
}

}  // namespace weft

#endif  // WEFT_RUNTIME_AS_COMPLETED_H_
