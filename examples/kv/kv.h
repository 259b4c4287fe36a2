// A tiny line-protocol key-value store, written once against the streams API: a server that
// keeps its data in memory (so a crash loses it), and a client that reconnects after resets and
// retries its request — the shape of a real client that must survive a server restart.
//   request  "SET <key> <value>\n" -> "OK\n"
//   request  "GET <key>\n"         -> "VALUE <value>\n" or "MISSING\n"
//   anything else                  -> "ERROR <what>\n" (the connection stays open)
#ifndef WEFT_EXAMPLES_KV_KV_H_
#define WEFT_EXAMPLES_KV_KV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "runtime/io/server.h"
#include "runtime/io/stream_reader.h"
#include "runtime/io/stream_writer.h"
#include "runtime/task.h"

namespace weft::examples {

// The answer to one request line (without its "\n"), applied to `store`.
std::string kv_apply(std::map<std::string, std::string>& store, const std::string& request);

// Serves a fresh, empty store on (host, port) until cancelled; each connection is served until
// EOF. The store lives in this coroutine's frame, so a crashed server loses it.
Task<void> kv_serve_forever(std::string host, int port);

// A client that survives server crashes: request() sends one request and returns the reply
// (without "\n"); on a reset, a refused connect, or EOF before the reply, it drops the
// connection, waits `retry_delay_s`, reconnects and sends the request again (at-least-once, so
// requests should be idempotent), up to `max_attempts` in all; then it rethrows the last error.
class KvClient {
 public:
  KvClient(std::string host, int port, double retry_delay_s = 0.1, int max_attempts = 100)
      : host_(std::move(host)), port_(port), retry_delay_s_(retry_delay_s),
        max_attempts_(max_attempts) {}

  Task<std::string> request(std::string line);
  Task<void> close();

  // Connections opened (the first one included) and failures seen and survived.
  int connects() const { return connects_; }
  int failures() const { return failures_; }

 private:
  Task<std::string> try_once(const std::string& line);

  std::string host_;
  int port_;
  double retry_delay_s_;
  int max_attempts_;
  std::shared_ptr<StreamReader> reader_;
  std::shared_ptr<StreamWriter> writer_;
  int connects_ = 0;
  int failures_ = 0;
};

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_KV_KV_H_
