// The two worlds as test parameters: one behavioural test source runs on the epoll loop and on
// the simulated loop (STYLE.md, tcmalloc's variants). Use with TYPED_TEST_SUITE(Suite, Worlds):
//   auto v = TypeParam::run(body());
#ifndef WEFT_TESTS_TESTING_WORLDS_H_
#define WEFT_TESTS_TESTING_WORLDS_H_

#include <gtest/gtest.h>

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

struct SimWorld {
  static constexpr bool kSimulated = true;
  static std::unique_ptr<EventLoop> make_loop() { return std::make_unique<sim::SimLoop>(); }
  template <class T>
  static T run(Task<T> main, sim::SimConfig config = {}) {
    auto result = sim::run(std::move(main), config);
    if constexpr (std::is_void_v<T>) {
      result.value();
    } else {
      return std::move(result.value());
    }
  }
  template <class T>
  static T run(Task<T> main, WorldHooks hooks) {
    return run(std::move(main), sim::SimConfig{.world = std::move(hooks)});
  }
};

struct WorldNames {
  template <class W>
  static std::string GetName(int) {
    return W::kSimulated ? "Sim" : "Epoll";
  }
};

using Worlds = ::testing::Types<RealWorld, SimWorld>;

}  // namespace weft::testing

#endif  // WEFT_TESTS_TESTING_WORLDS_H_
