// The three item orders of weft's queues: FIFO (Queue), LIFO (LifoQueue) and a binary min-heap
// (PriorityQueue). The heap is our own, sifting exactly as Python's heapq does, so items that
// compare equal leave in the same order on every standard library (DESIGN.md §4).
#ifndef WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_STORAGE_H_
#define WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_STORAGE_H_

#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

namespace weft::internal {

template <class T>
class FifoStorage {
 public:
  void push(T item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  size_t size() const { return items_.size(); }

 private:
  std::deque<T> items_;
};

template <class T>
class LifoStorage {
 public:
  void push(T item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  size_t size() const { return items_.size(); }

 private:
  std::vector<T> items_;
};

// Min-heap under `Less`: pop() returns an item no other item is Less than.
template <class T, class Less>
class HeapStorage {
 public:
  HeapStorage() = default;
  explicit HeapStorage(Less less) : less_(std::move(less)) {}

  void push(T item) {
    items_.push_back(std::move(item));
    sift_toward_root(0, items_.size() - 1);
  }
  T pop() {
    T last = std::move(items_.back());
    items_.pop_back();
    if (items_.empty()) return last;
    T top = std::move(items_[0]);
    items_[0] = std::move(last);
    sift_toward_leaves(0);
    return top;
  }
  size_t size() const { return items_.size(); }

 private:
  // Moves the item at `pos` up while it is Less than its parent (heapq._siftdown).
  void sift_toward_root(size_t start, size_t pos) {
    T item = std::move(items_[pos]);
    while (pos > start) {
      size_t parent = (pos - 1) / 2;
      if (!less_(item, items_[parent])) break;
      items_[pos] = std::move(items_[parent]);
      pos = parent;
    }
    items_[pos] = std::move(item);
  }
  // Moves the hole at `pos` down to a leaf along the smaller children, then sifts the item
  // back up (heapq._siftup: fewer comparisons, and the order Python gives equal items).
  void sift_toward_leaves(size_t pos) {
    const size_t end = items_.size();
    const size_t start = pos;
    T item = std::move(items_[pos]);
    size_t child = 2 * pos + 1;
    while (child < end) {
      size_t right = child + 1;
      if (right < end && !less_(items_[child], items_[right])) child = right;
      items_[pos] = std::move(items_[child]);
      pos = child;
      child = 2 * pos + 1;
    }
    items_[pos] = std::move(item);
    sift_toward_root(start, pos);
  }

  std::vector<T> items_;
  [[no_unique_address]] Less less_;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_STORAGE_H_
