// weft::BaseProtocol: asyncio.BaseProtocol — the callbacks every protocol shares. All callbacks
// run on the loop thread, from the loop (never inside a transport call made by user code, except
// pause_writing, which a write() may trigger, as in asyncio).
#ifndef WEFT_RUNTIME_IO_BASE_PROTOCOL_H_
#define WEFT_RUNTIME_IO_BASE_PROTOCOL_H_

#include <exception>

namespace weft {

class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;
  // Called once when the connection is closed: a null `exc` for a regular close or EOF, else
  // the error (ConnectionResetError, ...). The transport drops this protocol afterwards.
  virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
  // The transport's write buffer rose above its high-water mark / fell below its low one.
  virtual void pause_writing() {}
  virtual void resume_writing() {}
};

}  // namespace weft

#endif  // WEFT_RUNTIME_IO_BASE_PROTOCOL_H_
