// StreamReader on both loops, fed directly (no connection): the producer calls feed_data /
// feed_eof / set_exception from the test's own task, so the order in which the reader wakes and
// the producer acts is exact on either loop.
#include <errno.h>
#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/io/stream_reader.h"
#include "runtime/weft.h"
#include "sim/run.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class StreamReaderTest : public ::testing::Test {};
TYPED_TEST_SUITE(StreamReaderTest, testing::Worlds, testing::WorldNames);
// The tests of StreamReaderFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class StreamReaderFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(StreamReaderFifoTest, testing::FifoWorlds, testing::WorldNames);

using Log = std::vector<std::string>;

std::exception_ptr reset_error() {
  return std::make_exception_ptr(ConnectionResetError(ECONNRESET, "reset for the test"));
}

// Runs `read` to completion and says how it ended: its value, or the exception's type.
Task<std::string> outcome(Task<std::string> read) {
  try {
    std::string got = co_await std::move(read);
    co_return "value '" + got + "'";
  } catch (const ConnectionResetError&) {
    co_return "ConnectionResetError";
  } catch (const IncompleteReadError& e) {
    co_return "IncompleteReadError '" + e.partial + "'";
  }
}

// A read waits; data that does not satisfy it wakes it, and the connection error arrives before
// the reader runs. The waiting read must raise the error (it used to wait forever: the error was
// stored but the waiter it would have failed had already been woken by the data).
enum class Call { kReadline, kReaduntil, kReadexactly };

Task<Log> error_after_data_wakeup(Call call) {
  auto reader = std::make_shared<StreamReader>();
  Task<std::string> read = call == Call::kReadline    ? reader->readline()
                           : call == Call::kReaduntil ? reader->readuntil(";")
                                                      : reader->readexactly(10);
  Task<std::string> watched = outcome(std::move(read));
  TaskHandle<std::string> waiting = create_task(std::move(watched));
  co_await sleep(0);
  co_await sleep(0);
  Log log;
  log.push_back(waiting.done() ? "done early" : "waiting");
  reader->feed_data("par");           // wakes the waiting read...
  reader->set_exception(reset_error());  // ...and the reset lands before it runs
  // Wide margin: the fixed reader answers at once; the unfixed one never would.
  Task<std::string> bounded = wait_for(waiting, 30.0);
  try {
    log.push_back(co_await std::move(bounded));
  } catch (const TimeoutError&) {
    log.push_back("still waiting after 30 s");
  }
  // Later reads raise the stored error first, as asyncio's do.
  Task<std::string> next = outcome(reader->read(10));
  log.push_back(co_await std::move(next));
  co_return log;
}

TYPED_TEST(StreamReaderTest, ReadlineWokenByDataRaisesAnErrorThatArrivesBeforeItRuns) {
  EXPECT_EQ(TypeParam::run(error_after_data_wakeup(Call::kReadline)),
            (Log{"waiting", "ConnectionResetError", "ConnectionResetError"}));
}

TYPED_TEST(StreamReaderTest, ReaduntilWokenByDataRaisesAnErrorThatArrivesBeforeItRuns) {
  EXPECT_EQ(TypeParam::run(error_after_data_wakeup(Call::kReaduntil)),
            (Log{"waiting", "ConnectionResetError", "ConnectionResetError"}));
}

TYPED_TEST(StreamReaderTest, ReadexactlyWokenByDataRaisesAnErrorThatArrivesBeforeItRuns) {
  EXPECT_EQ(TypeParam::run(error_after_data_wakeup(Call::kReadexactly)),
            (Log{"waiting", "ConnectionResetError", "ConnectionResetError"}));
}

// Data that completes the read, then the error, both before the reader runs: the read returns
// its data (it was complete before the error came) and the next read raises the error.
TYPED_TEST(StreamReaderFifoTest, ACompletedLineIsReturnedBeforeAnErrorThatFollowsIt) {
  auto body = []() -> Task<Log> {
    auto reader = std::make_shared<StreamReader>();
    Task<std::string> watched = outcome(reader->readline());
    TaskHandle<std::string> waiting = create_task(std::move(watched));
    co_await sleep(0);
    reader->feed_data("line\nrest");
    reader->set_exception(reset_error());
    Log log;
    log.push_back(co_await waiting);
    Task<std::string> next = outcome(reader->readline());
    log.push_back(co_await std::move(next));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"value 'line\n'", "ConnectionResetError"}));
}

// asyncio raises ValueError for a negative size; a size_t parameter used to read -1 as SIZE_MAX
// (readexactly(-1) then waited for 2^64 - 1 bytes, and StreamReader(-1) was accepted).
TYPED_TEST(StreamReaderTest, NegativeSizesRaiseValueErrorWithAsyncioMessages) {
  auto body = []() -> Task<Log> {
    Log log;
    auto reader = std::make_shared<StreamReader>();
    reader->feed_data("abc");
    reader->feed_eof();
    try {
      Task<std::string> negative = reader->readexactly(-1);
      co_await std::move(negative);
      log.push_back("no error");
    } catch (const ValueError& e) {
      log.push_back(e.what());
    } catch (const IncompleteReadError&) {
      log.push_back("IncompleteReadError");
    }
    for (long limit : {0L, -1L}) {
      try {
        StreamReader bad(limit);
        log.push_back(absl::StrCat("limit ", bad.limit(), " accepted"));
      } catch (const ValueError& e) {
        log.push_back(e.what());
      }
    }
    Task<std::string> rest = reader->read(-1);
    log.push_back(co_await std::move(rest));  // the failed calls consumed nothing
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"readexactly size can not be less than zero", "Limit cannot be <= 0",
                 "Limit cannot be <= 0", "abc"}));
}

// A second reader is refused with a message naming the method it called (readline, not the
// readuntil it is built on), its task, the task already waiting and the method that one called.
TYPED_TEST(StreamReaderFifoTest, ConcurrentReadNamesBothTasksAndTheMethodsTheyCalled) {
  auto body = []() -> Task<std::string> {
    auto reader = std::make_shared<StreamReader>();
    Task<std::string> first_read = reader->readexactly(5);
    TaskHandle<std::string> first = create_task(std::move(first_read), "first reader");
    co_await sleep(0);
    auto second_read = [](std::shared_ptr<StreamReader> r) -> Task<std::string> {
      try {
        Task<std::string> line = r->readline();
        co_await std::move(line);
      } catch (const RuntimeError& e) {
        co_return e.what();
      }
      co_return "no error";
    };
    Task<std::string> second_task = second_read(reader);
    TaskHandle<std::string> second = create_task(std::move(second_task), "second reader");
    std::string message = co_await second;
    reader->feed_data("12345");
    co_await first;
    co_return message;
  };
  EXPECT_EQ(TypeParam::run(body()),
            "StreamReader.readline() called by task 'second reader' while task 'first reader' is "
            "already waiting for incoming data in readexactly(): only one coroutine at a time may "
            "read from a StreamReader");
}

// In the simulated world a read that can never complete is reported as a deadlock; the report
// says which StreamReader call the task is blocked in.
TEST(StreamReaderSimTest, DeadlockReportNamesTheBlockedReadCall) {
  auto body = []() -> Task<std::string> {
    auto reader = std::make_shared<StreamReader>();
    Task<std::string> line = reader->readline();
    co_return co_await std::move(line);
  };
  auto result = sim::run(body());
  ASSERT_FALSE(result.ok());
  const std::string report = describe_exception(result.error());
  EXPECT_NE(report.find("awaits StreamReader.readline() waiting for data"), std::string::npos)
      << report;
}

}  // namespace
}  // namespace weft
