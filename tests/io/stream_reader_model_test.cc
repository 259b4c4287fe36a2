// StreamReader against a model of the byte stream. A producer feeds a random stream in random
// chunks at random moments and ends it with EOF (or, in some trials, a connection error); a
// consumer makes random calls (read(n), read(-1), readline, readexactly, readuntil, at_eof),
// cancelling some of them after a random number of loop steps. Every outcome is checked against
// the model: the bytes the reader had at the moment the call completed decide exactly what it
// returns or raises and what it consumes, and a cancelled call consumes nothing. Both loops; the
// simulated one also shuffles the producer's and consumer's steps (random strategy).
#include <errno.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/io/stream_reader.h"
#include "runtime/weft.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

// splitmix64: the trial's own generator (the test must not depend on <random>'s distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }

 private:
  uint64_t s_;
};

// What the producer has done so far; read by the consumer at the instant a call completes.
struct Fed {
  size_t arrived = 0;
  bool eof = false;
  bool error = false;
};

enum class Kind { kRead, kReadAll, kReadline, kReadexactly, kReaduntil, kAtEof };

struct Call {
  Kind kind;
  long n = 0;
  std::string sep;
  int cancel_after = -1;  // loop steps before cancel(); -1: never cancelled
  std::string describe() const {
    std::string s;
    switch (kind) {
      case Kind::kRead: s = absl::StrCat("read(", n, ")"); break;
      case Kind::kReadAll: s = "read(-1)"; break;
      case Kind::kReadline: s = "readline()"; break;
      case Kind::kReadexactly: s = absl::StrCat("readexactly(", n, ")"); break;
      case Kind::kReaduntil: s = absl::StrCat("readuntil('", sep, "')"); break;
      case Kind::kAtEof: s = "at_eof()"; break;
    }
    if (cancel_after >= 0) absl::StrAppend(&s, " cancelled after ", cancel_after, " steps");
    return s;
  }
};

// How a call ended, and the producer's state at that instant.
struct Outcome {
  enum { kValue, kIncomplete, kOverrun, kValueError, kReset, kCancelled } how;
  std::string text;                   // value, or IncompleteReadError::partial
  std::optional<size_t> expected;     // IncompleteReadError::expected
  size_t overrun_consumed = 0;        // LimitOverrunError::consumed
  bool error_at_start = false;
  Fed at_end;
};

Task<std::string> start(StreamReader& r, const Call& c) {
  switch (c.kind) {
    case Kind::kRead: return r.read(c.n);
    case Kind::kReadAll: return r.read(-1);
    case Kind::kReadline: return r.readline();
    case Kind::kReadexactly: return r.readexactly(c.n);
    case Kind::kReaduntil: return r.readuntil(c.sep);
    case Kind::kAtEof: break;
  }
  throw RuntimeError("at_eof is not a coroutine");
}

Task<Outcome> attempt(std::shared_ptr<StreamReader> r, Call c, const Fed& fed) {
  Outcome o;
  o.error_at_start = fed.error;
  try {
    Task<std::string> read = start(*r, c);
    o.text = co_await std::move(read);
    o.how = Outcome::kValue;
  } catch (const IncompleteReadError& e) {
    o.how = Outcome::kIncomplete;
    o.text = e.partial;
    o.expected = e.expected;
  } catch (const LimitOverrunError& e) {
    o.how = Outcome::kOverrun;
    o.overrun_consumed = e.consumed;
  } catch (const ValueError&) {
    o.how = Outcome::kValueError;
  } catch (const ConnectionResetError&) {
    o.how = Outcome::kReset;
  } catch (const CancelledError&) {
    // The trial's own cancellation, recorded as the outcome rather than propagated.
    o.how = Outcome::kCancelled;
  }
  o.at_end = fed;
  co_return o;
}

// The model: `stream[consumed, at_end.arrived)` is what the reader holds when the call completes.
class Model {
 public:
  Model(std::string stream, size_t limit) : stream_(std::move(stream)), limit_(limit) {}

  // "" when `o` is what the model allows for `c`; else what differs. Advances `consumed_`.
  std::string check(const Call& c, const Outcome& o) {
    const std::string buf = stream_.substr(consumed_, o.at_end.arrived - consumed_);
    const bool eof = o.at_end.eof;
    auto fail = [&](std::string why) {
      static constexpr const char* kHow[] = {"value",         "IncompleteReadError",
                                             "LimitOverrunError", "ValueError",
                                             "ConnectionResetError", "cancelled"};
      const std::string consumed =
          o.how == Outcome::kOverrun ? absl::StrCat(" consumed=", o.overrun_consumed) : "";
      return absl::StrCat(c.describe(), " with buffer '", buf, "'", eof ? " + EOF" : "",
                          o.at_end.error ? " + error" : "", ": ", why, " (got ", kHow[o.how],
                          " '", o.text, "'", consumed, ")");
    };
    if (o.how == Outcome::kCancelled) return "";  // nothing consumed: the next calls check it
    if (o.how == Outcome::kReset) {
      return o.at_end.error ? "" : fail("ConnectionResetError before the error was fed");
    }
    if (o.error_at_start) return fail("started after the error, but did not raise it");
    switch (c.kind) {
      case Kind::kAtEof:
        return "";  // checked synchronously by the consumer
      case Kind::kRead: {
        if (o.how != Outcome::kValue) return fail("raised");
        const std::string want = buf.substr(0, static_cast<size_t>(c.n));
        if (c.n > 0 && buf.empty() && !eof) return fail("returned before any data or EOF");
        if (o.text != want) return fail(absl::StrCat("returned '", o.text, "', want '", want, "'"));
        consumed_ += want.size();
        return "";
      }
      case Kind::kReadAll:
        if (o.how != Outcome::kValue) return fail("raised");
        if (!eof) return fail("returned before EOF");
        if (o.text != buf) return fail(absl::StrCat("returned '", o.text, "'"));
        consumed_ += buf.size();
        return "";
      case Kind::kReadexactly: {
        const size_t n = static_cast<size_t>(c.n);
        if (buf.size() >= n) {
          if (o.how != Outcome::kValue || o.text != buf.substr(0, n)) {
            return fail(absl::StrCat("got '", o.text, "', want the first ", n, " bytes"));
          }
          consumed_ += n;
          return "";
        }
        if (!eof) return fail("completed with too few bytes before EOF");
        if (o.how != Outcome::kIncomplete || o.text != buf || o.expected != n) {
          return fail("want IncompleteReadError with the whole buffer");
        }
        consumed_ += buf.size();
        return "";
      }
      case Kind::kReaduntil:
      case Kind::kReadline: {
        const std::string sep = c.kind == Kind::kReadline ? "\n" : c.sep;
        const bool line = c.kind == Kind::kReadline;
        const size_t isep = buf.find(sep);
        std::optional<size_t> overrun;
        if (isep != std::string::npos) {
          if (isep > limit_) overrun = isep;
        } else if (buf.size() + 1 >= sep.size() && buf.size() + 1 - sep.size() > limit_) {
          overrun = buf.size() + 1 - sep.size();
        }
        if (overrun) {
          if (line) {
            if (o.how != Outcome::kValueError) return fail("want ValueError (line too long)");
            // readline drops the overlong line: through its "\n" if that is buffered, else all.
            consumed_ += buf.compare(*overrun, 1, "\n") == 0 ? *overrun + 1 : buf.size();
            return "";
          }
          if (o.how != Outcome::kOverrun || o.overrun_consumed != *overrun) {
            return fail(absl::StrCat("want LimitOverrunError(consumed=", *overrun, ")"));
          }
          return "";
        }
        if (isep != std::string::npos) {
          const std::string want = buf.substr(0, isep + sep.size());
          if (o.how != Outcome::kValue || o.text != want) {
            return fail(absl::StrCat("got '", o.text, "', want '", want, "'"));
          }
          consumed_ += want.size();
          return "";
        }
        if (!eof) return fail("completed without the separator before EOF");
        if (line) {
          if (o.how != Outcome::kValue || o.text != buf) return fail("want the partial line");
        } else if (o.how != Outcome::kIncomplete || o.text != buf || o.expected) {
          return fail("want IncompleteReadError(expected=None) with the whole buffer");
        }
        consumed_ += buf.size();
        return "";
      }
    }
    return fail("unknown call");
  }

  bool at_eof(const Fed& fed) const { return fed.eof && consumed_ == fed.arrived; }
  std::string rest() const { return stream_.substr(consumed_); }
  const std::string& stream() const { return stream_; }

 private:
  std::string stream_;
  size_t limit_;
  size_t consumed_ = 0;
};

struct Trial {
  std::string stream;
  std::vector<size_t> chunks;
  std::vector<int> pauses;  // loop steps before each chunk
  bool ends_in_error = false;
  size_t limit = 8;
  std::vector<Call> calls;
};

Trial make_trial(uint64_t seed) {
  Rng rng(seed);
  Trial t;
  static constexpr char kAlphabet[] = {'a', 'b', 'c', '\n', ';'};
  const int len = rng.below(4) == 0 ? rng.below(8) : rng.below(120);
  for (int i = 0; i < len; ++i) {
    // Some trials have few separators, so lines overrun the limit.
    const bool sparse = seed % 3 == 0;
    const int pick = sparse && rng.below(6) != 0 ? rng.below(3) : rng.below(5);
    t.stream.push_back(kAlphabet[pick]);
  }
  for (size_t fed = 0; fed < t.stream.size();) {
    const size_t most = rng.chance(20) ? 40 : 6;
    const size_t n = std::min<size_t>(t.stream.size() - fed, 1 + rng.below(most));
    t.chunks.push_back(n);
    t.pauses.push_back(rng.below(4));
    fed += n;
  }
  t.pauses.push_back(rng.below(4));  // before EOF / the error
  t.ends_in_error = rng.chance(15);
  static constexpr size_t kLimits[] = {1, 3, 8, 16, 64};
  t.limit = kLimits[rng.below(5)];
  const int calls = 3 + rng.below(25);
  static constexpr const char* kSeps[] = {"\n", ";", "ab", "a;b"};
  for (int i = 0; i < calls; ++i) {
    Call c;
    c.kind = static_cast<Kind>(rng.below(6));
    if (c.kind == Kind::kRead) c.n = rng.below(12);
    if (c.kind == Kind::kReadexactly) c.n = rng.below(rng.chance(10) ? 30 : 8);
    if (c.kind == Kind::kReaduntil) c.sep = kSeps[rng.below(4)];
    if (c.kind != Kind::kAtEof && rng.chance(35)) c.cancel_after = rng.below(4);
    t.calls.push_back(std::move(c));
  }
  return t;
}

Task<void> produce(std::shared_ptr<StreamReader> r, const Trial& t, Fed& fed) {
  size_t at = 0;
  for (size_t i = 0; i <= t.chunks.size(); ++i) {
    for (int k = 0; k < t.pauses[i]; ++k) co_await sleep(0);
    if (i == t.chunks.size()) break;
    r->feed_data(std::string_view(t.stream).substr(at, t.chunks[i]));
    at += t.chunks[i];
    fed.arrived = at;
  }
  if (t.ends_in_error) {
    fed.error = true;
    r->set_exception(std::make_exception_ptr(ConnectionResetError(ECONNRESET, "model reset")));
  } else {
    fed.eof = true;
    r->feed_eof();
  }
}

struct TrialResult {
  std::vector<std::string> bad;  // the first mismatch, if any
  std::array<int, 6> outcomes{};  // calls per Outcome::how
};

// Runs one trial.
Task<TrialResult> run_trial(Trial t) {
  auto reader = std::make_shared<StreamReader>(static_cast<long>(t.limit));
  Fed fed;
  Model model(t.stream, t.limit);
  TrialResult result;
  std::vector<std::string>& bad = result.bad;
  Task<void> producing = produce(reader, t, fed);
  TaskHandle<void> producer = create_task(std::move(producing));
  for (const Call& c : t.calls) {
    if (c.kind == Kind::kAtEof) {
      if (reader->at_eof() != model.at_eof(fed)) {
        bad.push_back(absl::StrCat("at_eof() = ", reader->at_eof(), " at byte ", fed.arrived,
                                   fed.eof ? " + EOF" : ""));
      }
      co_await sleep(0);
      continue;
    }
    Task<Outcome> attempting = attempt(reader, c, fed);
    TaskHandle<Outcome> call = create_task(std::move(attempting));
    if (c.cancel_after >= 0) {
      for (int k = 0; k < c.cancel_after; ++k) co_await sleep(0);
      call.cancel();
    }
    Outcome o{};
    try {
      o = co_await call;
    } catch (const CancelledError&) {
      // Cancelled before its first step: the call never started.
      o.how = Outcome::kCancelled;
    }
    ++result.outcomes[o.how];
    if (std::string why = model.check(c, o); !why.empty()) {
      // Later calls would only repeat the first divergence.
      bad.push_back(why);
      break;
    }
  }
  co_await producer;
  // Whatever the calls left is still there, byte for byte.
  if (bad.empty() && !t.ends_in_error) {
    Task<std::string> reading = reader->read(-1);
    std::string rest = co_await std::move(reading);
    if (rest != model.rest()) {
      bad.push_back(absl::StrCat("final read(-1) = '", rest, "', want '", model.rest(), "'"));
    }
    if (!reader->at_eof()) bad.push_back("not at EOF after the final read(-1)");
  }
  co_return result;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return out;
}

template <class W>
class StreamReaderModelTest : public ::testing::Test {};
TYPED_TEST_SUITE(StreamReaderModelTest, testing::Worlds, testing::WorldNames);

TYPED_TEST(StreamReaderModelTest, EveryCallMatchesTheByteStreamModelUnderChunkingAndCancellation) {
  // The real loop runs each trial in FIFO order; the simulated one under a random schedule.
  const uint64_t trials = TypeParam::kSimulated ? 5000 : 500;
  int mismatches = 0;
  std::array<int, 6> outcomes{};
  for (uint64_t seed = 0; seed < trials; ++seed) {
    Trial t = make_trial(seed);
    TrialResult r;
    if constexpr (TypeParam::kSimulated) {
      sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
      r = TypeParam::run(run_trial(t), config);
    } else {
      r = TypeParam::run(run_trial(t));
    }
    for (size_t i = 0; i < outcomes.size(); ++i) outcomes[i] += r.outcomes[i];
    if (!r.bad.empty() && ++mismatches <= 5) {
      ADD_FAILURE() << "trial " << seed << " (stream '" << escape(t.stream) << "', limit "
                    << t.limit << "): " << escape(absl::StrJoin(r.bad, "; "));
    }
  }
  EXPECT_EQ(mismatches, 0);
  // Every way a call can end comes up often: values, EOF (IncompleteReadError), limit overruns
  // (LimitOverrunError, readline's ValueError), the connection error, cancellations.
  const int often = static_cast<int>(trials / 20);
  for (int how = 0; how < 6; ++how) EXPECT_GT(outcomes[how], often) << "outcome " << how;
}

}  // namespace
}  // namespace weft
