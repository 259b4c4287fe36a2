// weft::AsyncGenerator<T>: an async generator (asyncio's `async def` with `yield`), consumed with
//   while (auto item = co_await gen.next()) { use(*item); }
// The body may co_await anything; it runs inside the consumer's task. Destroying the generator
// destroys its frame (asyncio's aclose() without re-entering the body). An exception thrown by
// the body is rethrown by next(); after the end, next() yields std::nullopt.
#ifndef WEFT_RUNTIME_ASYNC_GENERATOR_H_
#define WEFT_RUNTIME_ASYNC_GENERATOR_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "runtime/errors.h"

namespace weft {

template <class T>
class [[nodiscard]] AsyncGenerator {
 public:
  struct promise_type {
    std::optional<T> current;
    std::coroutine_handle<> consumer;
    std::exception_ptr error;
    bool finished = false;

    AsyncGenerator get_return_object() {
      return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct YieldAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().consumer;
      }
      void await_resume() noexcept {}
    };
    template <class U = T>
    YieldAwaiter yield_value(U&& v) {
      current.emplace(std::forward<U>(v));
      return {};
    }
    YieldAwaiter final_suspend() noexcept {
      finished = true;
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  AsyncGenerator() = default;
  explicit AsyncGenerator(std::coroutine_handle<promise_type> h) : h_(h) {}
  AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~AsyncGenerator() {
    if (h_) h_.destroy();
  }

  struct NextAwaiter {
    std::coroutine_handle<promise_type> h;
    bool await_ready() const noexcept { return !h || h.promise().finished; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
      h.promise().consumer = consumer;
      h.promise().current.reset();
      return h;
    }
    std::optional<T> await_resume() {
      if (!h) return std::nullopt;
      auto& p = h.promise();
      if (p.error) std::rethrow_exception(std::exchange(p.error, {}));
      if (p.finished) return std::nullopt;
      return std::move(p.current);
    }
  };
  // Runs the body to its next co_yield (or its end).
  NextAwaiter next() { return NextAwaiter{h_}; }

 private:
  std::coroutine_handle<promise_type> h_;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_ASYNC_GENERATOR_H_
