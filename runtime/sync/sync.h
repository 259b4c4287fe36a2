// Tier 6 of the asyncio API (DESIGN.md §1) and structured concurrency in one include: the queues,
// the synchronisation primitives and TaskGroup. Each works identically on both loops.
#ifndef WEFT_RUNTIME_SYNC_SYNC_H_
#define WEFT_RUNTIME_SYNC_SYNC_H_

#include "runtime/sync/barrier.h"
#include "runtime/sync/bounded_semaphore.h"
#include "runtime/sync/condition.h"
#include "runtime/sync/event.h"
#include "runtime/sync/lifo_queue.h"
#include "runtime/sync/lock.h"
#include "runtime/sync/priority_queue.h"
#include "runtime/sync/queue.h"
#include "runtime/sync/semaphore.h"
#include "runtime/sync/task_group.h"

#endif  // WEFT_RUNTIME_SYNC_SYNC_H_
