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
  ensure_tree();  // room for the position of the new tombstone
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
  const size_t used = popped_ + q_.size();  // tree positions in use
  if (used < tree_.size()) return;
  if (tree_.empty()) {
    // Built at the first tombstone (the tree exists only while there are some): all zeros.
    tree_.assign(std::bit_ceil(std::max<size_t>(64, used * 2)) + 1, 0);
    return;
  }
  // Doubling keeps every node of the first half; of the new ones only the root covers any
  // tombstone (they all lie below the old size): O(n) per doubling, no rescan.
  size_t n = tree_.size() - 1;
  while (used >= n + 1) {
    tree_.resize(2 * n + 1, 0);
    tree_[2 * n] = static_cast<uint32_t>(removed_popped_ + tombstones_);
    n *= 2;
  }
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
