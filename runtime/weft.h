// The whole loop-independent API of weft in one include: tasks, futures, the loop, tier-4
// functions. Worlds are chosen with runtime/run.h (real) or sim/run.h (simulated).
#ifndef WEFT_RUNTIME_WEFT_H_
#define WEFT_RUNTIME_WEFT_H_

#include "runtime/as_completed.h"
#include "runtime/async_generator.h"
#include "runtime/buggify.h"
#include "runtime/errors.h"
#include "runtime/event_loop.h"
#include "runtime/future.h"
#include "runtime/gather.h"
#include "runtime/outcome.h"
#include "runtime/random.h"
#include "runtime/shield.h"
#include "runtime/sleep.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"
#include "runtime/timeout.h"
#include "runtime/wait.h"

#endif  // WEFT_RUNTIME_WEFT_H_
