// Intrusive, single-threaded reference counting for loop-owned state (futures, tasks, handles).
// Everything counted here belongs to one loop and is touched only on that loop's thread.
#ifndef WEFT_RUNTIME_INTERNAL_REF_H_
#define WEFT_RUNTIME_INTERNAL_REF_H_

#include <cstdint>
#include <utility>

namespace weft::internal {

class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) delete this;
  }
  uint32_t ref_count() const noexcept { return refs_; }

 protected:
  virtual ~RefCounted() = default;

 private:
  uint32_t refs_ = 0;
};

// Owning pointer to a RefCounted object.
template <class T>
class Ref {
 public:
  Ref() = default;
  Ref(std::nullptr_t) {}  // NOLINT: a null Ref reads naturally.
  explicit Ref(T* p) : p_(p) {
    if (p_) p_->add_ref();
  }
  Ref(const Ref& o) : Ref(o.p_) {}
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
  Ref(const Ref<U>& o) : Ref(static_cast<T*>(o.get())) {}  // NOLINT: upcast.
  Ref& operator=(Ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref() {
    if (p_) p_->release();
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  friend bool operator==(const Ref& a, const Ref& b) { return a.p_ == b.p_; }

 private:
  T* p_ = nullptr;
};

template <class T, class... Args>
Ref<T> make_ref(Args&&... args) {
  return Ref<T>(new T(std::forward<Args>(args)...));
}

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_REF_H_
