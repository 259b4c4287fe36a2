// weft::sim::Node: a named simulated machine with network addresses. Tasks spawned on it (and
// every task they create) run in the node's task group; kill() ends them all abruptly, as a
// power cut would — no catch block runs, its sockets reset at the peers, its listeners vanish —
// and restart() boots it again by running its start-up coroutine.
//
//   sim::Node server("kv", {"10.0.0.1"}, [] { return kv_server(7000); });
//   server.start();  ...  server.kill();  ...  server.restart();
#ifndef WEFT_SIM_NODE_H_
#define WEFT_SIM_NODE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/errors.h"
#include "runtime/task.h"
#include "runtime/task_handle.h"
#include "sim/net/network.h"
#include "sim/sim_loop.h"

namespace weft::sim {

class Node {
 public:
  // What a node runs when it boots (start() and restart()).
  using Startup = std::function<Task<void>()>;

  // Adds host `name` with `addresses` (IPv4 and/or IPv6 literals) to the running SimLoop's
  // network. The node is up but runs nothing until start() or spawn().
  Node(std::string name, std::vector<std::string> addresses, Startup startup = {});
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Leaves the node's tasks running (the loop owns them); sim::run cancels them at the end.
  ~Node() = default;

  const std::string& name() const { return name_; }
  HostId host() const { return host_; }
  uint16_t group() const { return group_; }
  bool alive() const { return alive_; }
  // How many times the node has booted (start / restart).
  int boots() const { return boots_; }

  // Runs `coro` as a task on this node. RuntimeError if the node is down.
  template <class T>
  TaskHandle<T> spawn(Task<T> coro, std::string task_name = {}) {
    if (!alive_) throw RuntimeError("sim::Node '" + name_ + "' is down: cannot spawn on it");
    TaskHandle<T> h = loop_.create_task(std::move(coro), std::move(task_name));
    h.state()->set_group(group_);
    return h;
  }

  // Runs the start-up coroutine as task "<name>/startup". RuntimeError if the node is down or
  // has no start-up coroutine.
  TaskHandle<void> start();
  // Crashes the node: every task of its group ends at once (TaskBase::kill), the network resets
  // its connections at the peers and drops its listeners and endpoints. No-op when down. From
  // one of the node's own tasks, that task dies at its next suspension.
  void kill();
  // Reboots: kill() if up, bring the host back on the network, then start().
  TaskHandle<void> restart();

 private:
  SimLoop& loop_;
  std::string name_;
  Startup startup_;
  HostId host_;
  uint16_t group_;
  bool alive_ = true;
  int boots_ = 0;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_NODE_H_
