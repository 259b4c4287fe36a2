// LoopObserver: hooks the loop calls as it runs, for traces, digests and tools (DESIGN.md §3, §6).
// A loop has any number of them (EventLoop::add_observer). Every hook has an empty default body:
// override only what you need. Events name things by loop-issued ids, never by pointers or fds.
// The loop calls them on its own thread; an observer must not call back into the loop (not even
// add_observer / remove_observer).
#ifndef WEFT_RUNTIME_OBSERVER_H_
#define WEFT_RUNTIME_OBSERVER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

enum class TaskOutcome : uint8_t { kResult = 0, kException = 1, kCancelled = 2 };

// Which way bytes or a datagram crossed the world seam: into the program or out of it.
enum class IoDirection : uint8_t { kIn = 0, kOut = 1 };

// What a simulated fault did (on_fault). The values are stable: traces store them.
enum class FaultKind : uint8_t {
  kPartition = 0,       // links between two host sets cut (subject: 0)
  kHeal = 1,            // links restored (subject: 0)
  kClog = 2,            // a host's links delayed for a while (subject: 0)
  kReset = 3,           // a connection reset (subject: the connection's id)
  kHostCrash = 4,       // a host crashed: its connections and listeners are gone (subject: 0)
  kHostRestart = 5,     // a crashed host is back (subject: 0)
  kNodeKill = 6,        // a node's tasks were killed (subject: 0)
  kDatagramLost = 7,    // a datagram dropped on its link (subject: the sending endpoint's id)
  kDatagramDuplicated = 8,  // a datagram delivered twice (subject: the sending endpoint's id)
  kBuggify = 9,         // a buggify() site fired (subject: 0; detail: the site)
};

class LoopObserver {
 public:
  virtual ~LoopObserver() = default;

  // ---- Tasks. ----
  virtual void on_task_created(uint64_t task_id, std::string_view name) {
    (void)task_id, (void)name;
  }
  // A task is about to run one step (resume); `resource` tags what made it ready.
  virtual void on_task_step(uint64_t task_id, uint64_t resource) { (void)task_id, (void)resource; }
  virtual void on_task_done(uint64_t task_id, TaskOutcome outcome) {
    (void)task_id, (void)outcome;
  }

  // ---- Callbacks. ----
  // A plain callback (call_soon, call_later, done callback) or a due sleep timer is about to run.
  virtual void on_callback(uint64_t callback_id) { (void)callback_id; }

  // ---- Timers (call_later / call_at / sleep), named by their callback id. ----
  // Each armed timer later fires or is cancelled, once (unless the loop closes first).
  virtual void on_timer_armed(uint64_t callback_id, int64_t when_ns) {
    (void)callback_id, (void)when_ns;
  }
  // The timer became due and was moved to the ready queue.
  virtual void on_timer_fired(uint64_t callback_id, int64_t when_ns) {
    (void)callback_id, (void)when_ns;
  }
  // The timer was cancelled (TimerHandle::cancel, a cancelled sleep) before it fired.
  virtual void on_timer_cancelled(uint64_t callback_id) { (void)callback_id; }

  // ---- The world's I/O, as it crosses into and out of the program. ----
  // Emitted once, by the layer both worlds share (runtime/io), so both worlds report the same
  // events for the same program. Ids are the loop-issued resource ids (EventLoop::
  // next_resource_id): a connection's, a listener's, an endpoint's, a process's, a job's.
  // Addresses are text ("127.0.0.1:8080", "[::1]:80"); data views are valid only during the call.

  // A connection this program opened (create_connection / open_connection) is established.
  virtual void on_connection_opened(uint64_t connection, std::string_view local,
                                    std::string_view peer) {
    (void)connection, (void)local, (void)peer;
  }
  // A listener accepted `connection` from `peer`.
  virtual void on_connection_accepted(uint64_t listener, uint64_t connection,
                                      std::string_view peer) {
    (void)listener, (void)connection, (void)peer;
  }
  // The program's end of `connection` is closed: `error` is 0 for a clean close (or EOF
  // followed by close), else the errno that ended it (ECONNRESET, EPIPE, ...; ECONNABORTED
  // for an abort()).
  virtual void on_connection_closed(uint64_t connection, int error) {
    (void)connection, (void)error;
  }
  // Bytes read from (kIn, as the read returned them: its chunking is part of the event) or
  // written to (kOut, what one write call handed to the socket) a connection.
  virtual void on_bytes(uint64_t connection, IoDirection direction, std::string_view data) {
    (void)connection, (void)direction, (void)data;
  }
  // A datagram endpoint received (kIn) or sent (kOut) one datagram; `peer` is its source or
  // destination.
  virtual void on_datagram(uint64_t endpoint, IoDirection direction, std::string_view peer,
                           std::string_view data) {
    (void)endpoint, (void)direction, (void)peer, (void)data;
  }
  // A child process started with `argv`.
  virtual void on_process_spawned(uint64_t process, const std::vector<std::string>& argv) {
    (void)process, (void)argv;
  }
  // Bytes the program wrote to the child's stdin (fd 0, kOut) or read from its stdout / stderr
  // (fd 1 / 2, kIn).
  virtual void on_process_io(uint64_t process, int fd, IoDirection direction,
                             std::string_view data) {
    (void)process, (void)fd, (void)direction, (void)data;
  }
  // The child exited: `returncode` as asyncio reports it (the exit status, or -signal).
  virtual void on_process_exited(uint64_t process, int returncode) {
    (void)process, (void)returncode;
  }
  // run_in_executor handed `job` to the world's executor; later its result reached the loop.
  virtual void on_executor_submitted(uint64_t job) { (void)job; }
  virtual void on_executor_completed(uint64_t job) { (void)job; }
  // The simulated world injected a fault (never called by the real world).
  virtual void on_fault(FaultKind kind, uint64_t subject, std::string_view detail) {
    (void)kind, (void)subject, (void)detail;
  }
};

}  // namespace weft

#endif  // WEFT_RUNTIME_OBSERVER_H_
