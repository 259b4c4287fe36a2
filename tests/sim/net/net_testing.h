// Helpers for the simulated-network tests: a network with no randomness (exact latencies, no
// partial reads), tasks placed on hosts, and seed sweeps.
#ifndef WEFT_TESTS_SIM_NET_NET_TESTING_H_
#define WEFT_TESTS_SIM_NET_NET_TESTING_H_

#include <string>
#include <utility>
#include <vector>

#include "runtime/task.h"
#include "runtime/task_handle.h"
#include "sim/net/network.h"
#include "sim/run.h"
#include "sim/sim_loop.h"

namespace weft::sim::testing {

inline Network& net() { return current_loop().network(); }

// Fixed latencies (`link_ns` between hosts, `loopback_ns` within one), no partial reads.
inline NetworkConfig exact_network(int64_t link_ns = kMillisecond,
                                   int64_t loopback_ns = 10 * kMicrosecond) {
  NetworkConfig c;
  c.link = link_with_latency(link_ns, link_ns);
  c.loopback = link_with_latency(loopback_ns, loopback_ns);
  c.partial_read_probability = 0.0;
  return c;
}

// Runs `task` in a fresh task group whose sockets belong to `host`.
template <class T>
TaskHandle<T> spawn_on(HostId host, Task<T> task, std::string name = {}) {
  SimLoop& loop = current_loop();
  const uint16_t group = loop.new_group();
  loop.network().assign_group(group, host);
  TaskHandle<T> handle = loop.create_task(std::move(task), std::move(name));
  handle.core()->set_group(group);
  return handle;
}

// The (seed, strategy) pairs a behavioural test runs under.
inline std::vector<SimConfig> sweep(int fifo_seeds = 3, int random_seeds = 5) {
  std::vector<SimConfig> out;
  for (int i = 0; i < fifo_seeds; ++i) {
    SimConfig c;
    c.seed = static_cast<uint64_t>(i);
    out.push_back(c);
  }
  for (int i = 0; i < random_seeds; ++i) {
    SimConfig c;
    c.seed = static_cast<uint64_t>(100 + i);
    c.strategy = Strategy::kRandom;
    out.push_back(c);
  }
  return out;
}

inline std::string describe(const SimConfig& c) {
  return std::string(strategy_name(c.strategy)) + " seed " + std::to_string(c.seed);
}

}  // namespace weft::sim::testing

#endif  // WEFT_TESTS_SIM_NET_NET_TESTING_H_
