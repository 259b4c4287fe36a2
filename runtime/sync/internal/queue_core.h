// The item-independent half of weft's queues (asyncio.Queue): bounds, the FIFO lists of waiting
// getters and putters, task_done/join accounting and shutdown. BasicQueue<T, Storage> adds the
// items; Queue, PriorityQueue and LifoQueue only choose the Storage.
#ifndef WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_CORE_H_
#define WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_CORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "runtime/sync/internal/waiter.h"
#include "runtime/task.h"

namespace weft::internal {

class QueueCore : private WaitDescriber {
 public:
  QueueCore(const QueueCore&) = delete;
  QueueCore& operator=(const QueueCore&) = delete;

  // Number of items allowed in the queue, as given: <= 0 means unbounded (asyncio).
  int64_t maxsize() const { return maxsize_; }
  size_t qsize() const { return size(); }
  bool empty() const { return size() == 0; }
  // True when the queue holds maxsize items (never for an unbounded queue).
  bool full() const { return maxsize_ > 0 && size() >= static_cast<size_t>(maxsize_); }

  // Marks one item taken with get() as processed. ValueError when called more often than items
  // were put. When every item is processed, join() callers wake up.
  void task_done();
  // Waits until every item put has been processed (task_done). Returns at once when none is
  // outstanding. A cancelled join() leaves the queue unchanged.
  Task<void> join();
  // Python 3.13's Queue.shutdown: put() and put_nowait() raise QueueShutDown from now on;
  // blocked putters wake and raise QueueShutDown; getters drain what is left, then raise
  // QueueShutDown. With `immediate`, the items left are dropped (each counting as processed
  // for join()) and blocked getters raise at once.
  void shutdown(bool immediate = false);
  bool is_shutdown() const { return shutdown_; }
  const std::string& name() const { return name_; }
  // The loop-issued id that the wake-ups it causes carry (see WaitDescriber).
  using WaitDescriber::resource_id;

 protected:
  QueueCore(const char* kind, int64_t maxsize, std::string name)
      : kind_(kind), name_(std::move(name)), maxsize_(maxsize) {}
  ~QueueCore();

  virtual size_t size() const = 0;
  // Removes one item and discards it (shutdown(immediate)).
  virtual void drop_one() = 0;

  // put(): waits while the queue is full. Raises QueueShutDown if shut down while full. A
  // cancelled wait takes no slot; a slot freed for it is passed to the next putter.
  Task<void> wait_not_full();
  // get(): waits while the queue is empty. Raises QueueShutDown if shut down while empty. A
  // cancelled wait takes no item; an item signalled to it is passed to the next getter.
  Task<void> wait_not_empty();
  // put_nowait() around storing the item: checks, then accounting and wake-up.
  void check_put() const;
  void after_put();
  // get_nowait() around removing the item.
  void check_get() const;
  void after_get();

 private:
  std::string describe_wait(const char* op) const override;

  const char* kind_;
  std::string name_;
  int64_t maxsize_;
  size_t unfinished_ = 0;
  bool shutdown_ = false;
  WaiterList getters_;
  WaiterList putters_;
  WaiterList joiners_;
};

// The typed queue: Storage has push(T), pop() -> T, size(). One instance per public queue.
template <class T, class Storage>
class BasicQueue : public QueueCore {
 public:
  using value_type = T;

  // Adds `item`, waiting first while the queue is full. Raises QueueShutDown after shutdown().
  // A cancelled put() adds nothing (the item is dropped with the call).
  Task<void> put(T item) {
    co_await wait_not_full();
    put_nowait(std::move(item));
  }
  // Adds `item` now: QueueFull if full, QueueShutDown after shutdown().
  void put_nowait(T item) {
    check_put();
    storage_.push(std::move(item));
    after_put();
  }
  // Removes and returns an item, waiting first while the queue is empty. Raises QueueShutDown
  // once shut down and empty. A cancelled get() removes nothing from the queue.
  Task<T> get() {
    co_await wait_not_empty();
    co_return get_nowait();
  }
  // Removes and returns an item now: QueueEmpty if empty (QueueShutDown if also shut down).
  T get_nowait() {
    check_get();
    T item = storage_.pop();
    after_get();
    return item;
  }

 protected:
  template <class... A>
  BasicQueue(const char* kind, int64_t maxsize, std::string name, A&&... storage_args)
      : QueueCore(kind, maxsize, std::move(name)), storage_(std::forward<A>(storage_args)...) {}

 private:
  size_t size() const override { return storage_.size(); }
  void drop_one() override { (void)storage_.pop(); }

  Storage storage_;
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_SYNC_INTERNAL_QUEUE_CORE_H_
