#include "examples/bank.h"

namespace weft::examples {

Task<void> transfer(Account& from, Account& to, int amount) {
  int source = from.balance;
  co_await sleep(0);  // e.g. an audit call between the read and the write
  from.balance = source - amount;
  int target = to.balance;
  co_await sleep(0);
  to.balance = target + amount;
}

Task<std::vector<int>> bank_race() {
  Account a{100};
  Account b{100};
  co_await gather(transfer(a, b, 30), transfer(b, a, 20), transfer(a, b, 10));
  co_return std::vector<int>{a.balance, b.balance};
}

}  // namespace weft::examples
