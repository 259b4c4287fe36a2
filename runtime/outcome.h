// weft::Outcome<T>: a value or an exception — what gather(return_exceptions, ...) yields per
// child, in place of Python's "result or exception object" list.
#ifndef WEFT_RUNTIME_OUTCOME_H_
#define WEFT_RUNTIME_OUTCOME_H_

#include <exception>
#include <optional>
#include <utility>
#include <variant>

#include "runtime/errors.h"

namespace weft {

template <class T>
class Outcome {
 public:
  Outcome(T value) : value_(std::move(value)) {}  // NOLINT: a value converts naturally.
  Outcome(std::exception_ptr error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_; }
  // True when the child was cancelled (its exception is a CancelledError).
  bool cancelled() const { return is_cancelled_error(error_); }
  // The value; rethrows the exception if there is one.
  T& value() {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  const std::exception_ptr& exception() const { return error_; }

 private:
  std::optional<T> value_;
  std::exception_ptr error_;
};

// The value type gather() uses for a child of type T: void becomes std::monostate.
template <class T>
using GatherValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

}  // namespace weft

#endif  // WEFT_RUNTIME_OUTCOME_H_
