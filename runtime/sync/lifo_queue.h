// weft::LifoQueue<T>: asyncio.LifoQueue, a Queue<T> (same waiting, shutdown and join rules) that
// hands out the most recently added item first.
#ifndef WEFT_RUNTIME_SYNC_LIFO_QUEUE_H_
#define WEFT_RUNTIME_SYNC_LIFO_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/sync/internal/queue_core.h"
#include "runtime/sync/internal/queue_storage.h"

namespace weft {

// Members and cancellation rules as Queue<T> (runtime/sync/queue.h).
template <class T>
class LifoQueue final : public internal::BasicQueue<T, internal::LifoStorage<T>> {
 public:
  // `maxsize` <= 0 means unbounded (asyncio); `name` appears in deadlock reports.
  explicit LifoQueue(int64_t maxsize = 0, std::string name = {})
      : internal::BasicQueue<T, internal::LifoStorage<T>>("LifoQueue", maxsize, std::move(name)) {}
};

}  // namespace weft

#endif  // WEFT_RUNTIME_SYNC_LIFO_QUEUE_H_
