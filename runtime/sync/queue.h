// weft::Queue<T>: asyncio.Queue, a FIFO queue for producer and consumer tasks. put()/get() wait
// (waiters are served in FIFO order), put_nowait()/get_nowait() raise QueueFull/QueueEmpty,
// task_done()/join() track processing, shutdown() (Python 3.13) ends it with QueueShutDown.
// T may be move-only. PriorityQueue and LifoQueue (own headers) differ only in item order.
#ifndef WEFT_RUNTIME_SYNC_QUEUE_H_
#define WEFT_RUNTIME_SYNC_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/sync/internal/queue_core.h"
#include "runtime/sync/internal/queue_storage.h"

namespace weft {

// Members (see internal::QueueCore and internal::BasicQueue for each contract):
//   Task<void> put(T), void put_nowait(T), Task<T> get(), T get_nowait(),
//   size_t qsize(), int64_t maxsize(), bool empty(), full(), void task_done(), Task<void> join(),
//   void shutdown(bool immediate = false), bool is_shutdown().
// A cancelled get() removes nothing; a cancelled put() adds nothing.
template <class T>
class Queue final : public internal::BasicQueue<T, internal::FifoStorage<T>> {
 public:
  // `maxsize` <= 0 means unbounded, as in asyncio (a negative one too: signed, so it never
  // wraps to a huge bound). `name` appears in deadlock reports
  // ("Queue.get on 'jobs' (empty, 2 getters)").
  explicit Queue(int64_t maxsize = 0, std::string name = {})
      : internal::BasicQueue<T, internal::FifoStorage<T>>("Queue", maxsize, std::move(name)) {}
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_QUEUE_H_
