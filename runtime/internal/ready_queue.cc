#include "runtime/internal/ready_queue.h"

#include <algorithm>

namespace weft::internal {

ReadyEntry ReadyQueue::take(size_t slot) {
  ReadyEntry e = at(slot);
  if (slot == 0) {
    pop_front();
    return e;
  }
  at(slot).runnable = nullptr;
  ++holes_;
  if (slot + 1 == size_) {
    // The last slot: no hole needed.
    while (at(size_ - 1).runnable == nullptr) {
      --size_;
      --holes_;
    }
  }
  compact_if_sparse();
  return e;
}

void ReadyQueue::grow() {
  const size_t capacity = buf_.empty() ? 64 : buf_.size() * 2;
  std::vector<ReadyEntry> bigger(capacity);
  for (size_t i = 0; i < size_; ++i) bigger[i] = at(i);
  buf_ = std::move(bigger);
  mask_ = capacity - 1;
  head_ = 0;
}

void ReadyQueue::shrink() {
  size_t capacity = buf_.size();
  while (capacity > 1024 && size_ * 4 < capacity) capacity /= 2;
  std::vector<ReadyEntry> smaller(capacity);
  for (size_t i = 0; i < size_; ++i) smaller[i] = at(i);
  buf_ = std::move(smaller);
  mask_ = capacity - 1;
  head_ = 0;
}

void ReadyQueue::skip_holes() {
  while (size_ != 0 && buf_[head_].runnable == nullptr) {
    head_ = (head_ + 1) & mask_;
    --size_;
    --holes_;
  }
  compact_if_sparse();
}

void ReadyQueue::compact_if_sparse() {
  if (holes_ <= size_ - holes_) return;
  // Holes outnumber the entries: drop them, in order (O(n), amortised O(1) per take or pop).
  size_t kept = 0;
  for (size_t i = 0; i < size_; ++i) {
    if (at(i).runnable != nullptr) {
      if (kept != i) at(kept) = at(i);
      ++kept;
    }
  }
  size_ = kept;
  holes_ = 0;
}

}  // namespace weft::internal
