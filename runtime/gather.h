// weft::gather: asyncio.gather. Runs awaitables concurrently (a lazy Task<T> is wrapped in a new
// task at once) and returns a Future of their results in argument order: a tuple for the
// variadic form, a vector for a range; void results are std::monostate.
// - Without return_exceptions, the first child exception (or cancellation) is propagated at
//   once; the other children keep running, as in asyncio.
// - With `weft::return_exceptions` first, each result is an Outcome<T> (value or exception).
// - Cancelling the returned future cancels every child still running; it then fails with
//   CancelledError once all children are done.
#ifndef WEFT_RUNTIME_GATHER_H_
#define WEFT_RUNTIME_GATHER_H_

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/outcome.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"

namespace weft {

struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

namespace internal {

template <class T>
TaskHandle<T> ensure_future(Task<T>&& t) {
  return create_task(std::move(t));
}
template <class T>
TaskHandle<T> ensure_future(const TaskHandle<T>& t) {
  return t;
}
template <class T>
Future<T> ensure_future(const Future<T>& f) {
  return f;
}
template <class A>
using ensured_t = decltype(ensure_future(std::declval<A>()));

// Task<T>, TaskHandle<T>, Future<T>: what gather accepts as one child.
template <class A>
concept Gatherable = requires(A&& a) { ensure_future(std::forward<A>(a)); };
template <class H>
using handle_value_t = typename std::decay_t<H>::value_type;

template <class H>
GatherValue<handle_value_t<H>> gather_value(H& h) {
  using T = handle_value_t<H>;
  if constexpr (std::is_void_v<T>) {
    h.result();
    return {};
  } else if constexpr (std::is_reference_v<T> || std::is_copy_constructible_v<T>) {
    return h.result();
  } else {
    return std::move(h.result());
  }
}

template <class H>
Outcome<GatherValue<handle_value_t<H>>> gather_outcome(H& h) {
  static_assert(!std::is_reference_v<handle_value_t<H>>,
                "gather(return_exceptions, ...) needs value results");
  FutureCore* core = h.core();
  if (core->cancelled()) {
    return std::make_exception_ptr(CancelledError(core->cancel_message()));
  }
  if (core->peek_exception()) return core->exception();
  return gather_value(h);
}

template <class R>
class GatherState final : public FutureState<R> {
 public:
  GatherState(EventLoop* loop, bool return_exceptions)
      : FutureState<R>(loop), return_exceptions_(return_exceptions) {}

  bool cancel(std::string msg = {}) override {
    if (this->done()) return false;
    bool any = false;
    for (auto& child : children) {
      if (child->cancel(msg)) any = true;
    }
    if (any) cancel_requested_ = true;
    return any;
  }

  void child_done(FutureCore* child) {
    ++finished_;
    if (this->done()) {
      if (!child->cancelled()) child->mark_retrieved();
      return;
    }
    if (!return_exceptions_) {
      if (child->cancelled()) {
        this->set_exception(std::make_exception_ptr(CancelledError(child->cancel_message())));
        return;
      }
      if (child->peek_exception()) {
        this->set_exception(child->exception());
        return;
      }
    }
    if (finished_ == children.size()) complete();
  }

  void complete() {
    if (cancel_requested_) {
      this->set_exception(std::make_exception_ptr(CancelledError()));
      return;
    }
    try {
      this->slot.set(build());
    } catch (...) {
      // Building the result failed (a child result could not be copied): report it as the
      // gather's failure, nothing is lost.
      this->set_exception(std::current_exception());
      return;
    }
    this->mark_finished();
  }

  // Wires the children's done callbacks (or completes at once for zero children).
  void start(const Ref<GatherState>& self) {
    if (children.empty()) {
      complete();
      return;
    }
    for (auto& child : children) {
      FutureCore* c = child.get();
      c->add_done_callback([self, c] { self->child_done(c); });
    }
  }

  std::string describe() const override {
    return absl::StrCat("gather of ", children.size(), " (", finished_, " done)");
  }

  std::vector<Ref<FutureCore>> children;
  absl::AnyInvocable<R()> build;

 private:
  size_t finished_ = 0;
  bool return_exceptions_;
  bool cancel_requested_ = false;
};

template <bool kOutcomes, class... H>
auto gather_handles(EventLoop& loop, std::tuple<H...> handles) {
  using R = std::conditional_t<kOutcomes,
                               std::tuple<Outcome<GatherValue<handle_value_t<H>>>...>,
                               std::tuple<GatherValue<handle_value_t<H>>...>>;
  auto state = make_ref<GatherState<R>>(&loop, kOutcomes);
  std::apply([&](auto&... h) { (state->children.emplace_back(h.core()), ...); }, handles);
  state->build = [handles]() mutable {
    return std::apply(
        [](auto&... h) {
          if constexpr (kOutcomes) {
            return R(gather_outcome(h)...);
          } else {
            return R(gather_value(h)...);
          }
        },
        handles);
  };
  state->start(state);
  return Future<R>(Ref<FutureState<R>>(state));
}

template <bool kOutcomes, class A>
auto gather_range(std::vector<A> items) {
  EventLoop& loop = get_running_loop();
  using H = ensured_t<A>;
  std::vector<H> handles;
  handles.reserve(items.size());
  for (auto& a : items) handles.push_back(ensure_future(std::move(a)));
  using V = std::conditional_t<kOutcomes, Outcome<GatherValue<handle_value_t<H>>>,
                               GatherValue<handle_value_t<H>>>;
  using R = std::vector<V>;
  auto state = make_ref<GatherState<R>>(&loop, kOutcomes);
  for (auto& h : handles) state->children.emplace_back(h.core());
  state->build = [handles = std::move(handles)]() mutable {
    R out;
    out.reserve(handles.size());
    for (auto& h : handles) {
      if constexpr (kOutcomes) {
        out.push_back(gather_outcome(h));
      } else {
        out.push_back(gather_value(h));
      }
    }
    return out;
  };
  state->start(state);
  return Future<R>(Ref<FutureState<R>>(state));
}

}  // namespace internal

// gather(a, b, ...): Future<std::tuple<A, B, ...>>.
template <class... A>
  requires(internal::Gatherable<A> && ...)
auto gather(A&&... aws) {
  EventLoop& loop = get_running_loop();
  return internal::gather_handles<false>(
      loop,
      // Braced initialisation evaluates left to right: children start in argument order.
      std::tuple<internal::ensured_t<A>...>{internal::ensure_future(std::forward<A>(aws))...});
}
// gather(return_exceptions, a, b, ...): Future<std::tuple<Outcome<A>, Outcome<B>, ...>>.
template <class... A>
  requires(internal::Gatherable<A> && ...)
auto gather(ReturnExceptions, A&&... aws) {
  EventLoop& loop = get_running_loop();
  return internal::gather_handles<true>(
      loop,
      // Braced initialisation evaluates left to right: children start in argument order.
      std::tuple<internal::ensured_t<A>...>{internal::ensure_future(std::forward<A>(aws))...});
}
// gather(vector of Task<T> / TaskHandle<T> / Future<T>): Future<std::vector<T>>.
template <class A>
auto gather(std::vector<A> aws) {
  return internal::gather_range<false>(std::move(aws));
}
template <class A>
auto gather(ReturnExceptions, std::vector<A> aws) {
  return internal::gather_range<true>(std::move(aws));
}

}  // namespace weft

#endif  // WEFT_RUNTIME_GATHER_H_
