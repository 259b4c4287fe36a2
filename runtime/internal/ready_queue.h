// ReadyQueue: the loop's ready queue. FIFO push / pop on a ring buffer, and — for a scheduling
// strategy — taking the entry of any slot while the others keep their order (DESIGN.md §5), in
// O(1): the taken entry leaves a hole.
//
//   slots:  [ A  ·  B  ·  ·  C  D ]      · = a hole (never the first slot)
//
// The live entries in slot order are the FIFO order. A strategy sees the slots, holes included
// (sim::ReadyView): keeping ranks instead (the i-th live entry) costs a rank/select structure,
// O(log n) per step, which measured at ~500 instructions per step on a 500-entry queue. The queue
// compacts itself when the holes outnumber the live entries (O(n), amortised O(1) per take).
#ifndef WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_
#define WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::internal {

class Runnable;

// One ready entry: what runs, the coroutine it resumes, and what made it ready.
struct ReadyEntry {
  Runnable* runnable;  // the loop holds one reference; null only for a hole inside the queue
  std::coroutine_handle<> handle;
  uint64_t resource;
};

class ReadyQueue {
 public:
  // Live entries.
  size_t size() const { return size_ - holes_; }
  bool empty() const { return size_ == 0; }  // the first slot is never a hole
  // Slots, holes included: slot 0 is the oldest live entry.
  size_t slots() const { return size_; }
  size_t capacity() const { return buf_.size(); }
  bool live(size_t slot) const { return at(slot).runnable != nullptr; }
  // The entry in `slot` (< slots(); a hole has a null runnable).
  const ReadyEntry& operator[](size_t slot) const { return at(slot); }

  void push_back(const ReadyEntry& e) {
    if (size_ == buf_.size()) [[unlikely]] grow();
    buf_[(head_ + size_) & mask_] = e;
    ++size_;
  }
  const ReadyEntry& front() const { return buf_[head_]; }
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
    if (holes_ != 0) [[unlikely]] skip_holes();
  }
  // Removes and returns the live entry in `slot`; the others keep their order (and their slots,
  // until the queue next compacts: slots are valid only until the next take or pop).
  ReadyEntry take(size_t slot);
  // Gives memory back once the queue is mostly empty (capacity above 1,024 and four times what
  // is in use): a burst of a million ready entries must not stay allocated while those tasks
  // sleep. The loop calls it once per iteration.
  void shrink_if_sparse() {
    if (buf_.size() > 1024 && size_ * 4 < buf_.size()) [[unlikely]] shrink();
  }

 private:
  void shrink();
  // A ring buffer (power-of-two capacity): a slot is two instructions away, where a std::deque
  // of 24-byte entries divides by 21.
  const ReadyEntry& at(size_t slot) const { return buf_[(head_ + slot) & mask_]; }
  ReadyEntry& at(size_t slot) { return buf_[(head_ + slot) & mask_]; }
  void grow();
  void skip_holes();
  void compact_if_sparse();  // keeps holes at most as many as the live entries

  std::vector<ReadyEntry> buf_;
  size_t mask_ = 0;  // buf_.size() - 1 (buf_ empty: 0, and size_ == 0)
  size_t head_ = 0;
  size_t size_ = 0;
  size_t holes_ = 0;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_
