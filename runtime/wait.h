// weft::wait: asyncio.wait. Waits for the given tasks/futures until `return_when` holds or the
// timeout passes, and returns {done, pending} in the input order (asyncio returns sets). It
// never raises TimeoutError and never cancels anything; an empty input raises ValueError.
#ifndef WEFT_RUNTIME_WAIT_H_
#define WEFT_RUNTIME_WAIT_H_

#include <memory>
#include <optional>
#include <vector>

#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

enum class ReturnWhen { kFirstCompleted, kFirstException, kAllCompleted };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::kFirstCompleted;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::kFirstException;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::kAllCompleted;

template <class H>
struct WaitResult {
  std::vector<H> done;
  std::vector<H> pending;
};

// H is TaskHandle<T>, AnyTask or Future<T>.
template <class H>
Task<WaitResult<H>> wait(std::vector<H> fs, std::optional<double> timeout = std::nullopt,
                         ReturnWhen return_when = ALL_COMPLETED) {
  if (fs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  EventLoop& loop = get_running_loop();
  struct Shared {
    size_t left;
    ReturnWhen when;
    Future<void> waiter;
    void wake() {
      if (!waiter.done()) waiter.set_result();
    }
  };
  auto shared = std::make_shared<Shared>(Shared{fs.size(), return_when, loop.create_future<void>()});
  TimerHandle timer;
  if (timeout) timer = loop.call_later(*timeout, [shared] { shared->wake(); });
  struct CancelTimer {
    TimerHandle& t;
    ~CancelTimer() { t.cancel(); }
  } cancel_timer{timer};
  for (auto& f : fs) {
    internal::FutureCore* core = f.core();
    core->add_done_callback([shared, core] {
      --shared->left;
      if (shared->left == 0 || shared->when == FIRST_COMPLETED ||
          (shared->when == FIRST_EXCEPTION && !core->cancelled() && core->peek_exception())) {
        shared->wake();
      }
    });
  }
  co_await shared->waiter;
  WaitResult<H> result;
  for (auto& f : fs) (f.core()->done() ? result.done : result.pending).push_back(std::move(f));
  co_return result;
}

}  // namespace weft

#endif  // WEFT_RUNTIME_WAIT_H_
