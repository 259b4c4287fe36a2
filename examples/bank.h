// A racy bank: transfers read a balance, await something (the "I/O" of a real service), then
// write the balance back. Interleavings lose updates, so the final total depends on the
// schedule. Runs unchanged on both loops; the simulated loop's random strategy exposes the race.
#ifndef WEFT_EXAMPLES_BANK_H_
#define WEFT_EXAMPLES_BANK_H_

#include <vector>

#include "runtime/weft.h"

namespace weft::examples {

struct Account {
  int balance = 0;
};

// Moves `amount` from `from` to `to` without any lock: read, await, write.
Task<void> transfer(Account& from, Account& to, int amount);

// Two accounts of 100; three concurrent transfers; returns the final balances {a, b}.
// The correct total is 200.
Task<std::vector<int>> bank_race();

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_BANK_H_
