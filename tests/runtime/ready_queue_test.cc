// internal::ReadyQueue against a plain vector model: FIFO pops, reads and removals at any
// position (the others keep their order), through tombstones, tree rebuilds and compactions.
#include "runtime/internal/ready_queue.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/prng.h"

namespace weft::internal {
namespace {

ReadyEntry entry(uint64_t id) {
  return ReadyEntry{reinterpret_cast<Runnable*>(static_cast<uintptr_t>(id * 8)), {}, id};
}

TEST(ReadyQueueTest, TakeFromTheMiddleKeepsTheOthersInOrder) {
  ReadyQueue q;
  for (uint64_t id : {1, 2, 3, 4}) q.push_back(entry(id));
  EXPECT_EQ(q.take(2).resource, 3u);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].resource, 1u);
  EXPECT_EQ(q[1].resource, 2u);
  EXPECT_EQ(q[2].resource, 4u);
  q.push_back(entry(5));
  EXPECT_EQ(q.take(1).resource, 2u);
  EXPECT_EQ(q.take(0).resource, 1u);
  EXPECT_EQ(q.front().resource, 4u);
  q.pop_front();
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].resource, 5u);
  q.pop_front();
  EXPECT_TRUE(q.empty());
}

// Random operations at sizes from a handful to past the compaction thresholds (4,096).
TEST(ReadyQueueTest, MatchesAVectorModelUnderRandomOperations) {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    Xoshiro256 rng(seed);
    ReadyQueue q;
    std::vector<uint64_t> model;
    uint64_t next_id = 1;
    // Phases bias the size up (push-heavy) or down (take/pop-heavy).
    for (int phase = 0; phase < 8; ++phase) {
      const bool grow = phase % 2 == 0;
      const int ops = seed < 3 ? 200 : 40'000;
      for (int op = 0; op < ops; ++op) {
        const uint64_t r = rng.below(10);
        if (model.empty() || r < (grow ? 6 : 2)) {
          q.push_back(entry(next_id));
          model.push_back(next_id++);
        } else if (r < (grow ? 8 : 6)) {
          const size_t i = rng.below(model.size());
          ASSERT_EQ(q.take(i).resource, model[i]) << "seed " << seed;
          model.erase(model.begin() + static_cast<ptrdiff_t>(i));
        } else if (r < 9) {
          ASSERT_EQ(q.front().resource, model.front()) << "seed " << seed;
          q.pop_front();
          model.erase(model.begin());
        } else {
          const size_t i = rng.below(model.size());
          ASSERT_EQ(q[i].resource, model[i]) << "seed " << seed;
        }
        ASSERT_EQ(q.size(), model.size()) << "seed " << seed;
      }
      for (size_t i = 0; i < model.size(); i += 1 + model.size() / 50) {
        ASSERT_EQ(q[i].resource, model[i]) << "seed " << seed << " phase " << phase;
      }
    }
  }
}

// Removals from the middle only (no pop moves the head): tombstones pile up until the queue
// compacts itself, and reads and removals stay right across it.
TEST(ReadyQueueTest, ManyRemovalsFromTheMiddle) {
  Xoshiro256 rng(7);
  ReadyQueue q;
  std::vector<uint64_t> model;
  for (uint64_t id = 1; id <= 12'000; ++id) {
    q.push_back(entry(id));
    model.push_back(id);
  }
  while (model.size() > 1) {
    const size_t i = 1 + rng.below(model.size() - 1);
    ASSERT_EQ(q.take(i).resource, model[i]);
    model.erase(model.begin() + static_cast<ptrdiff_t>(i));
    ASSERT_EQ(q.size(), model.size());
    if (model.size() % 997 == 0) {
      for (size_t k = 0; k < model.size(); ++k) ASSERT_EQ(q[k].resource, model[k]);
    }
  }
  EXPECT_EQ(q.front().resource, 1u);
}

}  // namespace
}  // namespace weft::internal
