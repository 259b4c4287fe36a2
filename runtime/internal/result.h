// ResultSlot<T>: where a coroutine or future keeps its value — T (move-only allowed), T& (as a
// pointer) or nothing for void.
#ifndef WEFT_RUNTIME_INTERNAL_RESULT_H_
#define WEFT_RUNTIME_INTERNAL_RESULT_H_

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft::internal {

template <class T>
class ResultSlot {
 public:
  template <class U>
  void set(U&& v) {
    value_.emplace(std::forward<U>(v));
  }
  bool has() const { return value_.has_value(); }
  T& get() { return *value_; }
  T take() { return std::move(*value_); }

 private:
  std::optional<T> value_;
};

template <class T>
class ResultSlot<T&> {
 public:
  void set(T& v) { value_ = std::addressof(v); }
  bool has() const { return value_ != nullptr; }
  T& get() { return *value_; }
  T& take() { return *value_; }

 private:
  T* value_ = nullptr;
};

template <>
class ResultSlot<void> {
 public:
  void set() { set_ = true; }
  bool has() const { return set_; }
  void get() {}
  void take() {}

 private:
  bool set_ = false;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_RESULT_H_
