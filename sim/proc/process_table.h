// weft::sim::ProcessTable: the simulated world's ProcessService: fake programs, defined by name
// as coroutines, that create_subprocess_exec / _shell start on the simulated loop.
// SKELETON — owned by the sim-processes work (issue 6).
#ifndef WEFT_SIM_PROC_PROCESS_TABLE_H_
#define WEFT_SIM_PROC_PROCESS_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/io/process_service.h"

namespace weft::sim {

class SimLoop;

class ProcessTable final : public ProcessService {
 public:
  explicit ProcessTable(SimLoop& loop);
  ~ProcessTable() override;

  Task<std::shared_ptr<SubprocessTransport>> subprocess_exec(SubprocessProtocolFactory factory,
                                                             std::vector<std::string> argv,
                                                             SubprocessOptions options) override;

 private:
  SimLoop& loop_;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_PROC_PROCESS_TABLE_H_
