#include "runtime/internal/ready_queue.h"

#include <algorithm>

namespace weft::internal {

ReadyEntry ReadyQueue::take(size_t slot) {
  ReadyEntry e = q_[slot];
  if (slot == 0) {
    pop_front();
    return e;
  }
  q_[slot].runnable = nullptr;
  ++holes_;
  if (slot + 1 == q_.size()) {
    // The last slot: no hole needed.
    while (q_.back().runnable == nullptr) {
      q_.pop_back();
      --holes_;
    }
  }
  compact_if_sparse();
  return e;
}

void ReadyQueue::skip_holes() {
  while (!q_.empty() && q_.front().runnable == nullptr) {
    q_.pop_front();
    --holes_;
  }
  compact_if_sparse();
}

void ReadyQueue::compact_if_sparse() {
  if (holes_ <= q_.size() - holes_) return;
  // Holes outnumber the entries: drop them (O(n), amortised O(1) per take or pop).
  q_.erase(std::remove_if(q_.begin(), q_.end(),
                          [](const ReadyEntry& x) { return x.runnable == nullptr; }),
           q_.end());
  holes_ = 0;
}

}  // namespace weft::internal
