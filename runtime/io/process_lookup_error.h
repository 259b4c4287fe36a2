// weft::ProcessLookupError: asyncio's ProcessLookupError (an OSError with ESRCH), raised by
// Process::send_signal / terminate / kill once the child has been reaped.
// weft: defined here, not in runtime/errors.h, because that header belongs to the core.
#ifndef WEFT_RUNTIME_IO_PROCESS_LOOKUP_ERROR_H_
#define WEFT_RUNTIME_IO_PROCESS_LOOKUP_ERROR_H_

#include "runtime/errors.h"

namespace weft {

class ProcessLookupError : public OSError {
 public:
  using OSError::OSError;
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_PROCESS_LOOKUP_ERROR_H_
