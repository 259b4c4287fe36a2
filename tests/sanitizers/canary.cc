// A program with one deliberate bug per sanitizer, chosen by argv[1]: the sanitizer canary test
// runs it to show that a sanitizer build really checks (a config that silently lost its flags
// would let every bug through). Never built into anything else.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

namespace {

struct Base {
  virtual ~Base() = default;
  virtual int f() { return 1; }
};
struct Derived : Base {
  int f() override { return 2; }
  int g() { return 3; }
};

int racy_counter = 0;

// noinline and volatile keep the optimiser from deleting the bugs before a sanitizer sees them.
[[gnu::noinline]] int read_after_free() {
  int* p = new int[4]{1, 2, 3, 4};
  delete[] p;
  volatile int* q = p;
  return q[1];
}

[[gnu::noinline]] void leak() {
  volatile char* p = new char[64];
  p[0] = 1;
  p = nullptr;  // the only pointer to the block is gone
}

[[gnu::noinline]] int overflow(int x) { return x + 1; }

[[gnu::noinline]] int bad_downcast(Base* b) { return static_cast<Derived*>(b)->g(); }

void race() {
  std::thread a([] { for (int i = 0; i < 1000; ++i) ++racy_counter; });
  std::thread b([] { for (int i = 0; i < 1000; ++i) ++racy_counter; });
  a.join();
  b.join();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "use-after-free") {
    std::printf("%d\n", read_after_free());
  } else if (mode == "leak") {
    leak();
  } else if (mode == "signed-overflow") {
    volatile int max = std::numeric_limits<int>::max();
    std::printf("%d\n", overflow(max));
  } else if (mode == "vptr") {
    Base b;
    std::printf("%d\n", bad_downcast(&b));
  } else if (mode == "race") {
    race();
    std::printf("%d\n", racy_counter);
  } else {
    std::fprintf(stderr, "usage: canary use-after-free|leak|signed-overflow|vptr|race\n");
    return 2;
  }
  return 0;
}
