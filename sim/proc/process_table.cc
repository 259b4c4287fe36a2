#include "sim/proc/process_table.h"

#include "runtime/errors.h"
#include "sim/sim_loop.h"

namespace weft::sim {

ProcessTable::ProcessTable(SimLoop& loop) : loop_(loop) {}
ProcessTable::~ProcessTable() = default;

Task<std::shared_ptr<SubprocessTransport>> ProcessTable::subprocess_exec(SubprocessProtocolFactory,
                                                                         std::vector<std::string>,
                                                                         SubprocessOptions) {
  throw RuntimeError("sim::ProcessTable: not implemented yet");
}

}  // namespace weft::sim
