// EpollLoop: the real world's loop (DESIGN.md §3, real column). CLOCK_MONOTONIC time, epoll_wait
// with the next timer as its timeout, an eventfd for call_soon_threadsafe. File-descriptor
// readiness (add_reader / add_writer) is level-triggered, as asyncio's selector loop.
// User code should not name this class except to choose the world (weft::run does).
#ifndef WEFT_RUNTIME_EPOLL_EPOLL_LOOP_H_
#define WEFT_RUNTIME_EPOLL_EPOLL_LOOP_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "runtime/event_loop.h"
#include "runtime/prng.h"
#include "runtime/io/internal/world_services.h"
#include "runtime/world.h"

namespace weft {

class ThreadPoolExecutor;
class EpollNetwork;
class EpollProcessService;

class EpollLoop final : public EventLoop {
 public:
  // `hooks` wrap or replace the real world's services (runtime/world.h).
  explicit EpollLoop(WorldHooks hooks = {});
  ~EpollLoop() override;

  // Safe from any thread: queues `fn` and wakes the loop.
  void call_soon_threadsafe(absl::AnyInvocable<void()> fn) override;
  Random& random() override { return random_; }

  // Runs `fn` on every iteration while `fd` is readable (or hung up / in error). Replaces an
  // earlier reader of the same fd. These four are loop-thread only, as every method but
  // call_soon_threadsafe (RuntimeError from another thread while the loop runs). `resource`:
  // the loop-issued id of what watches the fd (a transport's), which each readiness entry
  // carries (EventLoop::schedule); 0 for a bare watch. Never the fd: fds are reused.
  void add_reader(int fd, absl::AnyInvocable<void()> fn, uint64_t resource = 0);
  // False if no reader was registered.
  bool remove_reader(int fd);
  void add_writer(int fd, absl::AnyInvocable<void()> fn, uint64_t resource = 0);
  bool remove_writer(int fd);

  // What holds an fd on this loop's behalf and is handed to user code: a transport, a server,
  // a datagram endpoint. The loop keeps a list of them so close() can release each one even if
  // a destroyed task's frame, or a cycle with its protocol, still holds it: abandon() closes the
  // fd and drops every reference to user objects without calling them. Afterwards every method
  // of the object is a no-op; it may outlive the loop.
  class Resource {
   public:
    Resource(const Resource&) = delete;
    Resource& operator=(const Resource&) = delete;

    // The loop-issued resource id (DESIGN.md §5), issued at construction: what the callbacks
    // scheduled for this object carry, and what its transport's resource_id() returns.
    uint64_t id() const { return id_; }

   protected:
    explicit Resource(EpollLoop& loop);
    ~Resource();
    // Called once, by close(), after the loop dropped its fd watches. Must keep the object
    // alive until it returns (dropping the protocol may drop the last reference to it).
    virtual void abandon() noexcept = 0;

   private:
    friend class EpollLoop;
    EpollLoop* owner_ = nullptr;  // null once abandoned (or when made on a closed loop)
    uint64_t id_ = 0;
    Resource* prev_ = nullptr;
    Resource* next_ = nullptr;
  };

  // A scratch buffer of kReadBufferSize bytes for one read at a time on the loop thread, so
  // transports neither allocate nor zero-fill their maximum read size per read.
  static constexpr size_t kReadBufferSize = 256 * 1024;  // asyncio's max_size for one recv
  char* read_buffer() {
    if (!read_buffer_) read_buffer_ = std::make_unique<char[]>(kReadBufferSize);
    return read_buffer_.get();
  }

  // The real world's services, created on first use and released by close(): sockets, child
  // processes (reaped when the loop closes: a child still running then is killed, as asyncio's
  // transport close does) and the default thread pool.
  NetworkService* network_service() override;
  ProcessService* process_service() override;
  ExecutorService* executor_service() override;
  void set_world_hooks(WorldHooks hooks) override;
  // Waits for every executor job to finish and stops the pool; later run_in_executor calls
  // raise RuntimeError.
  void shutdown_default_executor() override;

 protected:
  int64_t now_ns() const override;
  void poll(int64_t timeout_ns) override;
  void on_close() override;

 private:
  class FdCallback;
  std::unique_ptr<char[]> read_buffer_;
  struct Watch {
    internal::Ref<FdCallback> reader;
    internal::Ref<FdCallback> writer;
    uint32_t events = 0;
  };
  class OsRandom final : public Random {
   public:
    OsRandom();
    uint64_t below(uint64_t n) override { return rng_.below(n); }
    uint64_t next_u64() override { return rng_.next(); }

   private:
    Xoshiro256 rng_;
  };
  void update(int fd, Watch& w);
  void untrack(Resource* r) noexcept;

  int epfd_ = -1;
  int wakefd_ = -1;
  // std::mutex, not absl::Mutex: ThreadSanitizer sees only pthread locking and instrumented code,
  // and Debian's Abseil is not built with it.
  std::mutex mu_;
  std::vector<absl::AnyInvocable<void()>> threadsafe_;  // guarded by mu_
  absl::flat_hash_map<int, Watch> watches_;
  OsRandom random_;
  // The world's own child processes (killed and reaped by close() even when a hook replaced
  // or wrapped them), and the services in use.
  std::shared_ptr<EpollProcessService> own_processes_;
  io_internal::WorldServices services_;
  Resource* resources_ = nullptr;  // every live Resource, newest first
};

}  // namespace weft

#endif  // WEFT_RUNTIME_EPOLL_EPOLL_LOOP_H_
