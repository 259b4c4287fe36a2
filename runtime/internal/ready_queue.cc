#include "runtime/internal/ready_queue.h"

#include <algorithm>
#include <bit>

namespace weft::internal {

ReadyEntry ReadyQueue::take(size_t i) {
  if (i == 0) {
    ReadyEntry e = front();
    pop_front();
    return e;
  }
  const size_t n = size();
  const size_t index = tombstones_ == 0 ? i : index_of(i);
  ensure_tree();
  ReadyEntry e = q_[index];
  q_[index].runnable = nullptr;
  ++tombstones_;
  cached_rank_ = kNoRank;
  for (size_t k = popped_ + index + 1; k < tree_.size(); k += k & (~k + 1)) ++tree_[k];
  if (tombstones_ > n) {
    // Tombstones outnumber the entries: drop them (O(n), amortised O(1) per removal).
    q_.erase(std::remove_if(q_.begin(), q_.end(),
                            [](const ReadyEntry& x) { return x.runnable == nullptr; }),
             q_.end());
    tombstones_ = 0;
    drop_tree();
  }
  return e;
}

void ReadyQueue::popped_with_tombstones() {
  ++popped_;
  cached_rank_ = kNoRank;
  while (!q_.empty() && q_.front().runnable == nullptr) {
    q_.pop_front();
    ++popped_;
    ++removed_popped_;
    --tombstones_;
  }
  if (tombstones_ == 0) drop_tree();
}

void ReadyQueue::drop_tree() {
  tree_.clear();
  popped_ = 0;
  removed_popped_ = 0;
  cached_rank_ = kNoRank;
}

void ReadyQueue::ensure_tree() const {
  if (popped_ + q_.size() < tree_.size()) return;
  // Rebuilt from q_ alone (positions start again at 0), with room to grow to twice its size.
  const size_t n = std::bit_ceil(std::max<size_t>(64, q_.size() * 2));
  tree_.assign(n + 1, 0);
  for (size_t k = 1; k <= q_.size(); ++k) {
    if (q_[k - 1].runnable == nullptr) ++tree_[k];
  }
  for (size_t k = 1; k <= n; ++k) {
    const size_t parent = k + (k & (~k + 1));
    if (parent <= n) tree_[parent] += tree_[k];
  }
  popped_ = 0;
  removed_popped_ = 0;
  cached_rank_ = kNoRank;
}

size_t ReadyQueue::index_of(size_t i) const {
  if (i == cached_rank_) return cached_index_;
  ensure_tree();
  // Tree positions [0, m) hold m - tombstones(m) entries, popped ones included: find the
  // position where that count, from the front of q_ on, reaches i + 1.
  const size_t target = popped_ - removed_popped_ + i + 1;
  const size_t n = tree_.size() - 1;
  size_t pos = 0;
  size_t live = 0;
  for (size_t step = n; step > 0; step >>= 1) {
    const size_t next = pos + step;
    if (next <= n && live + (step - tree_[next]) < target) {
      pos = next;
      live += step - tree_[next];
    }
  }
  cached_rank_ = i;
  cached_index_ = pos - popped_;
  return cached_index_;
}

}  // namespace weft::internal
