// ReadyQueue: the loop's ready queue. FIFO push / pop as a std::deque, and — for a scheduling
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
#include <deque>

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
  size_t size() const { return q_.size() - holes_; }
  bool empty() const { return q_.empty(); }  // the first slot is never a hole
  // Slots, holes included: slot 0 is the oldest live entry.
  size_t slots() const { return q_.size(); }
  bool live(size_t slot) const { return q_[slot].runnable != nullptr; }
  // The entry in `slot` (< slots(); a hole has a null runnable).
  const ReadyEntry& operator[](size_t slot) const { return q_[slot]; }

  void push_back(const ReadyEntry& e) { q_.push_back(e); }
  const ReadyEntry& front() const { return q_.front(); }
  void pop_front() {
    q_.pop_front();
    if (holes_ != 0) [[unlikely]] skip_holes();
  }
  // Removes and returns the live entry in `slot`; the others keep their order (and their slots,
  // until the queue next compacts: slots are valid only until the next take or pop).
  ReadyEntry take(size_t slot);

 private:
  void skip_holes();
  void compact_if_sparse();  // keeps holes at most as many as the live entries

  std::deque<ReadyEntry> q_;
  size_t holes_ = 0;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_READY_QUEUE_H_
