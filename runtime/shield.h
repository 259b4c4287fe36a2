// weft::shield: asyncio.shield. Returns an outer future that follows `inner`; cancelling the
// outer future (or the task awaiting it) does not cancel `inner`, which runs on. A Task<T> is
// wrapped in a new task first.
#ifndef WEFT_RUNTIME_SHIELD_H_
#define WEFT_RUNTIME_SHIELD_H_

#include <type_traits>
#include <utility>

#include "runtime/future.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {
namespace internal {
// Copies the outcome of done `from` into pending `to` (copying the value when it can).
template <class From, class T>
void copy_outcome(From& from, Future<T>& to) {
  FutureCore* core = from.core();
  if (core->cancelled()) {
    to.cancel(core->cancel_message());
  } else if (core->peek_exception()) {
    to.set_exception(core->exception());
  } else if constexpr (std::is_void_v<T>) {
    to.set_result();
  } else if constexpr (std::is_reference_v<T> || std::is_copy_constructible_v<T>) {
    to.set_result(from.result());
  } else {
    to.set_result(std::move(from.result()));
  }
}
}  // namespace internal

template <class H, class T = typename H::value_type>
Future<T> shield(H inner) {
  Future<T> outer(inner.get_loop());
  if (inner.done()) {
    internal::copy_outcome(inner, outer);
    return outer;
  }
  inner.core()->add_done_callback([inner, outer]() mutable {
    if (outer.cancelled()) {
      // Nobody waits for the result any more; mark it seen so it is not reported as lost.
      if (!inner.cancelled()) inner.core()->mark_retrieved();
      return;
    }
    internal::copy_outcome(inner, outer);
  });
  return outer;
}
template <class T>
Future<T> shield(Task<T> inner) {
  return shield(create_task(std::move(inner)));
}

}  // namespace weft

#endif  // WEFT_RUNTIME_SHIELD_H_
