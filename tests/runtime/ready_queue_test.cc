// internal::ReadyQueue against a plain vector model: FIFO pops, and takes from any live slot
// (the others keep their order), through holes and compactions.
#include "runtime/internal/ready_queue.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/prng.h"

namespace weft::internal {
namespace {

ReadyEntry entry(uint64_t id) {
  return ReadyEntry{reinterpret_cast<Runnable*>(static_cast<uintptr_t>(id * 8)), {}, id};
}

// The live entries in slot order.
std::vector<uint64_t> live_ids(const ReadyQueue& q) {
  std::vector<uint64_t> out;
  for (size_t s = 0; s < q.slots(); ++s) {
    if (q.live(s)) out.push_back(q[s].resource);
  }
  return out;
}

TEST(ReadyQueueTest, TakeFromTheMiddleLeavesAHoleAndTheOthersInOrder) {
  ReadyQueue q;
  for (uint64_t id : {1, 2, 3, 4}) q.push_back(entry(id));
  EXPECT_EQ(q.take(2).resource, 3u);
  ASSERT_EQ(q.size(), 3u);
  ASSERT_EQ(q.slots(), 4u);
  EXPECT_FALSE(q.live(2));
  EXPECT_EQ(live_ids(q), (std::vector<uint64_t>{1, 2, 4}));
  q.push_back(entry(5));
  EXPECT_EQ(q.take(1).resource, 2u);  // two holes, three live
  EXPECT_EQ(q.slots(), 5u);
  EXPECT_EQ(live_ids(q), (std::vector<uint64_t>{1, 4, 5}));
  EXPECT_EQ(q.take(3).resource, 4u);  // three holes, two live: compacts
  EXPECT_EQ(q.slots(), 2u);
  EXPECT_EQ(live_ids(q), (std::vector<uint64_t>{1, 5}));
  EXPECT_EQ(q.take(0).resource, 1u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].resource, 5u);
  q.pop_front();
  EXPECT_TRUE(q.empty());
}

// The first and the last slot are always live: popping skips the holes behind the front, and
// taking the last slot drops the holes before it.
TEST(ReadyQueueTest, FirstAndLastSlotsAreAlwaysLive) {
  ReadyQueue q;
  for (uint64_t id = 1; id <= 8; ++id) q.push_back(entry(id));
  EXPECT_EQ(q.take(1).resource, 2u);
  EXPECT_EQ(q.take(2).resource, 3u);
  q.pop_front();  // 1, and the holes of 2 and 3
  EXPECT_EQ(q.front().resource, 4u);
  EXPECT_EQ(q.slots(), 5u);
  EXPECT_EQ(q.take(3).resource, 7u);
  EXPECT_EQ(q.take(4).resource, 8u);  // the last slot: the hole of 7 goes too
  EXPECT_EQ(q.slots(), 3u);
  EXPECT_TRUE(q.live(q.slots() - 1));
  EXPECT_EQ(live_ids(q), (std::vector<uint64_t>{4, 5, 6}));
}

// Random operations at sizes from a handful to tens of thousands; holes never outnumber the
// live entries.
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
        } else if (r < (grow ? 9 : 8)) {
          size_t s = rng.below(q.slots());
          while (!q.live(s)) s = rng.below(q.slots());
          const uint64_t id = q.take(s).resource;
          auto it = std::find(model.begin(), model.end(), id);
          ASSERT_NE(it, model.end()) << "seed " << seed;
          model.erase(it);
        } else {
          ASSERT_EQ(q.front().resource, model.front()) << "seed " << seed;
          q.pop_front();
          model.erase(model.begin());
        }
        ASSERT_EQ(q.size(), model.size()) << "seed " << seed;
        ASSERT_LE(q.slots() - q.size(), q.size()) << "seed " << seed;
        if (!model.empty()) {
          ASSERT_TRUE(q.live(0));
          ASSERT_TRUE(q.live(q.slots() - 1));
        }
        if (op % 97 == 0) ASSERT_EQ(live_ids(q), model) << "seed " << seed << " op " << op;
      }
      ASSERT_EQ(live_ids(q), model) << "seed " << seed << " phase " << phase;
    }
  }
}

// A burst of entries grows the buffer; once they are gone, shrink_if_sparse gives the memory
// back, and the queue keeps its order through the copy.
TEST(ReadyQueueTest, ShrinksOnceMostlyEmpty) {
  ReadyQueue q;
  for (uint64_t id = 1; id <= 100'000; ++id) q.push_back(entry(id));
  const size_t grown = q.capacity();
  EXPECT_GE(grown, 100'000u);
  for (uint64_t id = 1; id <= 99'990; ++id) q.pop_front();
  q.shrink_if_sparse();
  EXPECT_EQ(q.capacity(), 1024u);
  EXPECT_EQ(live_ids(q), (std::vector<uint64_t>{99'991, 99'992, 99'993, 99'994, 99'995, 99'996,
                                                 99'997, 99'998, 99'999, 100'000}));
  q.push_back(entry(100'001));
  EXPECT_EQ(q.size(), 11u);
}

}  // namespace
}  // namespace weft::internal
