// The two worlds as test parameters: one behavioural test source runs on the epoll loop and on
// the simulated loop (STYLE.md, tcmalloc's variants). Use with TYPED_TEST_SUITE(Suite, Worlds):
//   auto v = TypeParam::run(body());
#ifndef WEFT_TESTS_TESTING_WORLDS_H_
#define WEFT_TESTS_TESTING_WORLDS_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "runtime/run.h"
#include "runtime/weft.h"
#include "sim/run.h"

namespace weft::testing {

struct RealWorld {
  static constexpr bool kSimulated = false;
  static std::unique_ptr<EventLoop> make_loop() { return std::make_unique<EpollLoop>(); }
  template <class T>
  static T run(Task<T> main) {
    return weft::run(std::move(main));
  }
  // With the world's services hooked (runtime/world.h).
  template <class T>
  static T run(Task<T> main, WorldHooks hooks) {
    return weft::run(std::move(main), {.world = std::move(hooks)});
  }
};

// The simulated world under one schedule: `Strategy` at `Seed`. A run that passes its own
// SimConfig runs exactly that config: a test that names a config names its schedule.
template <sim::Strategy Strategy, uint64_t Seed>
struct SimWorldAt {
  static constexpr bool kSimulated = true;
  static constexpr sim::Strategy kStrategy = Strategy;
  static constexpr uint64_t kSeed = Seed;
  static sim::SimConfig config() { return sim::SimConfig{.seed = Seed, .strategy = Strategy}; }
  static std::unique_ptr<EventLoop> make_loop() {
    return std::make_unique<sim::SimLoop>(config());
  }
  template <class T>
  static T run(Task<T> main) {
    return run(std::move(main), config());
  }
  template <class T>
  static T run(Task<T> main, sim::SimConfig config) {
    auto result = sim::run(std::move(main), config);
    if constexpr (std::is_void_v<T>) {
      result.value();
    } else {
      return std::move(result.value());
    }
  }
  template <class T>
  static T run(Task<T> main, WorldHooks hooks) {
    sim::SimConfig c = config();
    c.world = std::move(hooks);
    return run(std::move(main), std::move(c));
  }
};

// asyncio's own order: the ready queue in FIFO order, seed 0.
using SimWorld = SimWorldAt<sim::Strategy::kFifo, 0>;
// Other schedules of the same programs: the random strategy at a few seeds.
using SimRandom1 = SimWorldAt<sim::Strategy::kRandom, 1>;
using SimRandom2 = SimWorldAt<sim::Strategy::kRandom, 2>;
using SimRandom3 = SimWorldAt<sim::Strategy::kRandom, 3>;

struct WorldNames {
  template <class W>
  static std::string GetName(int) {
    if constexpr (!W::kSimulated) {
      return "Epoll";
    } else if constexpr (W::kStrategy == sim::Strategy::kFifo && W::kSeed == 0) {
      return "Sim";
    } else {
      return (W::kStrategy == sim::Strategy::kRandom ? "SimRandom" : "SimFifo") +
             std::to_string(W::kSeed);
    }
  }
};

// Every test over both worlds: the real loop once, the simulated one under fifo and under the
// random strategy at three seeds (a test that passed only at seed 0 under fifo checked one
// schedule). A test whose assertions hold only in asyncio's FIFO order uses FifoWorlds.
using Worlds = ::testing::Types<RealWorld, SimWorld, SimRandom1, SimRandom2, SimRandom3>;
using FifoWorlds = ::testing::Types<RealWorld, SimWorld>;

}  // namespace weft::testing

#endif  // WEFT_TESTS_TESTING_WORLDS_H_
