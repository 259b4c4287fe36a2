// ReadyQueue: the loop's ready queue. FIFO push / pop as a std::deque, and — for a scheduling
// strategy — reading and removing the entry at any position while the others keep their order
// (DESIGN.md §5). A queue that only ever pops its front pays one untaken branch per pop.
//
//   q_:  [ A  ·  B  ·  ·  C  D ]      · = removed from the middle (a tombstone; never first)
// Removing from the middle leaves a tombstone, and a Fenwick tree counting tombstones finds
// position i in O(log n) (erasing from a deque moved a quarter of the queue per pick on average:
// measured slower already at 100 entries). The tree exists only while there are tombstones; the
// queue compacts itself once they outnumber the entries.
#ifndef WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_
#define WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace weft::internal {

class Runnable;

// One ready entry: what runs, the coroutine it resumes, and what made it ready.
struct ReadyEntry {
  Runnable* runnable;  // the loop holds one reference; null only for a tombstone inside the queue
  std::coroutine_handle<> handle;
  uint64_t resource;
};

class ReadyQueue {
 public:
  size_t size() const { return q_.size() - tombstones_; }
  bool empty() const { return q_.empty(); }  // the front is never a tombstone

  void push_back(const ReadyEntry& e) { q_.push_back(e); }
  const ReadyEntry& front() const { return q_.front(); }
  void pop_front() {
    q_.pop_front();
    if (tombstones_ != 0) [[unlikely]] popped_with_tombstones();
  }
  // The entry at position i of the FIFO order, i < size().
  const ReadyEntry& operator[](size_t i) const {
    return tombstones_ == 0 ? q_[i] : q_[index_of(i)];
  }
  // Removes and returns the entry at position i (i < size()); the others keep their order.
  ReadyEntry take(size_t i);

 private:
  void popped_with_tombstones();
  void drop_tree();
  // Index in q_ of position i (tombstones_ != 0).
  size_t index_of(size_t i) const;
  // Makes the tree cover the positions in use (all zeros when first built, at the first
  // tombstone; doubled when positions outgrow it).
  void ensure_tree() const;

  std::deque<ReadyEntry> q_;
  size_t tombstones_ = 0;
  // While there are tombstones: tree position p is q_[p - popped_]; removed_popped_ counts the
  // tombstones among the popped positions.
  mutable size_t popped_ = 0;
  mutable size_t removed_popped_ = 0;
  mutable std::vector<uint32_t> tree_;  // 1-based Fenwick tree; size a power of two plus one
  // The last index_of() answer: a strategy reads the entry it picks, then the loop takes it.
  static constexpr size_t kNoRank = ~size_t{0};
  mutable size_t cached_rank_ = kNoRank;
  mutable size_t cached_index_ = 0;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_
