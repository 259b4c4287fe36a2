// Replaces the global operator new/delete of the binary it is linked into (see alloc_counter.h).
#include "alloc_counter.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace {
uint64_t g_allocations = 0;
uint64_t g_requested = 0;
int64_t g_live_usable = 0;

void* counted_alloc(std::size_t n) {
  if (n == 0) n = 1;
  void* p = std::malloc(n);
  if (!p) throw std::bad_alloc();
  ++g_allocations;
  g_requested += n;
  g_live_usable += static_cast<int64_t>(malloc_usable_size(p));
  return p;
}

void* counted_alloc_aligned(std::size_t n, std::size_t align) {
  if (n == 0) n = 1;
  void* p = nullptr;
  if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n) != 0) {
    throw std::bad_alloc();
  }
  ++g_allocations;
  g_requested += n;
  g_live_usable += static_cast<int64_t>(malloc_usable_size(p));
  return p;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  g_live_usable -= static_cast<int64_t>(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

namespace weft_bench {
AllocStats alloc_stats() { return AllocStats{g_allocations, g_requested, g_live_usable}; }
}  // namespace weft_bench

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;  // nothrow form: failure is a null pointer, nothing else is lost
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;  // nothrow form: failure is a null pointer, nothing else is lost
  }
}
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_alloc_aligned(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_alloc_aligned(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
