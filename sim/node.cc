#include "sim/node.h"

#include "runtime/observer.h"

namespace weft::sim {

Node::Node(std::string name, std::vector<std::string> addresses, Startup startup)
    : loop_(current_loop()),
      name_(std::move(name)),
      startup_(std::move(startup)),
      host_(loop_.network().add_host(name_, std::move(addresses))),
      group_(loop_.new_group()) {
  loop_.network().assign_group(group_, host_);
}

TaskHandle<void> Node::start() {
  if (!startup_) throw RuntimeError("sim::Node '" + name_ + "' has no start-up coroutine");
  if (!alive_) throw RuntimeError("sim::Node '" + name_ + "' is down: restart() it");
  ++boots_;
  return spawn(startup_(), name_ + "/startup");
}

void Node::kill() {
  if (!alive_) return;
  alive_ = false;
  if (LoopObserver* o = loop_.observer()) o->on_fault(FaultKind::kNodeKill, 0, name_);
  // The network first: peers see a reset, not the orderly close that destructors in the killed
  // frames would otherwise send; the node's own protocols are dropped without callbacks.
  loop_.network().crash_host(host_);
  loop_.kill_group(group_);
}

TaskHandle<void> Node::restart() {
  kill();
  loop_.network().restart_host(host_);
  alive_ = true;
  return start();
}

}  // namespace weft::sim
