// weft::PriorityQueue<T, Less>: asyncio.PriorityQueue, a Queue<T> (same waiting, shutdown and
// join rules) that hands out the smallest item first — a min-heap under `Less` (std::less by
// default; pass e.g. std::greater for a max-heap). Equal items leave in Python heapq's order.
#ifndef WEFT_RUNTIME_SYNC_PRIORITY_QUEUE_H_
#define WEFT_RUNTIME_SYNC_PRIORITY_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/sync/internal/queue_core.h"
#include "runtime/sync/internal/queue_storage.h"

namespace weft {

// Members and cancellation rules as Queue<T> (runtime/sync/queue.h).
template <class T, class Less = std::less<T>>
class PriorityQueue final : public internal::BasicQueue<T, internal::HeapStorage<T, Less>> {
 public:
  // `maxsize` <= 0 means unbounded (asyncio); `name` appears in deadlock reports.
  explicit PriorityQueue(int64_t maxsize = 0, std::string name = {}, Less less = Less())
      : internal::BasicQueue<T, internal::HeapStorage<T, Less>>("PriorityQueue", maxsize,
                                                                std::move(name), std::move(less)) {}
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_PRIORITY_QUEUE_H_
