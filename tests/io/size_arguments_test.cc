// Count and size arguments of runtime/io on both loops (issue 11, item 9): where asyncio takes an
// int, weft takes a signed type, so -1 is refused with asyncio's ValueError instead of being read
// as 2^64 - 1, and the check comes before any socket, server or child exists.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/io/executor_service.h"
#include "runtime/io/network.h"
#include "runtime/io/streams.h"
#include "runtime/io/subprocess.h"
#include "runtime/weft.h"
#include "sim/proc/process_table.h"
#include "tests/io/fd_check.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

template <class W>
class SizeArgumentsTest : public testing::WorldFdCheckedTest<W> {};
TYPED_TEST_SUITE(SizeArgumentsTest, testing::Worlds, testing::WorldNames);

using Log = std::vector<std::string>;
using Reader = std::shared_ptr<StreamReader>;
using Writer = std::shared_ptr<StreamWriter>;

// The ValueError's text, or what happened instead.
template <class T>
Task<std::string> value_error_of(Task<T> call) {
  try {
    co_await std::move(call);
  } catch (const ValueError& e) {
    co_return e.what();
  } catch (const std::exception& e) {
    co_return describe_exception(std::current_exception());
  }
  co_return "no error";
}

Task<void> echo_lines(Reader reader, Writer writer) {
  while (true) {
    Task<std::string> reading = reader->readline();
    std::string line = co_await std::move(reading);
    if (line.empty()) break;
    writer->write(line);
    co_await writer->drain();
  }
  writer->close();
}

// open_connection checks the limit before connecting: nothing listens on the port, so a
// connect attempt would have raised ConnectionRefusedError instead.
TYPED_TEST(SizeArgumentsTest, StreamLimitsBelowOneRaiseValueErrorBeforeAnyIo) {
  auto body = []() -> Task<Log> {
    Log log;
    for (long limit : {0L, -1L}) {
      StreamOptions options;
      options.limit = limit;
      auto connect = open_connection("127.0.0.1", 1, options);
      log.push_back(co_await value_error_of(std::move(connect)));
      auto serve = start_server(echo_lines, "127.0.0.1", 0, options);
      log.push_back(co_await value_error_of(std::move(serve)));
    }
    co_return log;
  };
  const std::string kMessage = "Limit cannot be <= 0";
  EXPECT_EQ(TypeParam::run(body()), (Log(4, kMessage)));
}

TYPED_TEST(SizeArgumentsTest, SubprocessLimitBelowOneRaisesValueErrorBeforeSpawning) {
  auto body = []() -> Task<std::string> {
    SubprocessOptions options;
    options.stdout_mode = PIPE;
    options.limit = -1;
    std::vector<std::string> argv = {"true"};
    auto spawn = create_subprocess_exec(std::move(argv), std::move(options));
    co_return co_await value_error_of(std::move(spawn));
  };
  EXPECT_EQ(TypeParam::run(body()), "Limit cannot be <= 0");
}

// asyncio's _set_write_buffer_limits: high defaults to 4 * low, low to high // 4, and
// high >= low >= 0 must hold. A refused call leaves the limits as they were.
TYPED_TEST(SizeArgumentsTest, WriteBufferLimitsRefuseNegativeMarksWithAsyncioMessages) {
  auto body = []() -> Task<Log> {
    auto start = start_server(echo_lines, "127.0.0.1", 0);
    auto server = co_await std::move(start);
    auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
    auto [reader, writer] = co_await std::move(connect);
    const std::shared_ptr<WriteTransport>& transport = writer->transport();
    Log log;
    const std::pair<std::optional<long>, std::optional<long>> calls[] = {
        {-1, std::nullopt}, {std::nullopt, -4}, {10, 20}, {-1, -1}, {0, -1}};
    for (const auto& [high, low] : calls) {
      try {
        transport->set_write_buffer_limits(high, low);
        log.push_back("accepted");
      } catch (const ValueError& e) {
        log.push_back(e.what());
      }
    }
    auto [low, high] = transport->get_write_buffer_limits();
    log.push_back(std::to_string(low) + "/" + std::to_string(high));
    transport->set_write_buffer_limits(0, 0);  // allowed: pause as soon as anything is buffered
    auto [low0, high0] = transport->get_write_buffer_limits();
    log.push_back(std::to_string(low0) + "/" + std::to_string(high0));
    writer->close();
    co_await writer->wait_closed();
    server->close();
    co_await server->wait_closed();
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"high (-1) must be >= low (-1) must be >= 0",
                 "high (-16) must be >= low (-4) must be >= 0",
                 "high (10) must be >= low (20) must be >= 0",
                 "high (-1) must be >= low (-1) must be >= 0",
                 "high (0) must be >= low (-1) must be >= 0", "16384/65536", "0/0"}));
}

// A backlog of 0 or less still serves: listen() gets 0 (Python's socket.listen clamps negative
// values), and the accept loop takes at least one connection per readiness event (asyncio's
// range(backlog) would take none, and the real loop used to spin without ever accepting).
TYPED_TEST(SizeArgumentsTest, ServersWithABacklogOfZeroOrLessStillAccept) {
  auto body = []() -> Task<Log> {
    Log log;
    for (int backlog : {0, -1}) {
      ServerOptions server_options;
      server_options.backlog = backlog;
      auto start = start_server(echo_lines, "127.0.0.1", 0, StreamOptions{}, server_options);
      auto server = co_await std::move(start);
      auto connect = open_connection("127.0.0.1", server->sockets().at(0).port);
      auto [reader, writer] = co_await std::move(connect);
      writer->write("hello\n");
      Task<std::string> reading = reader->readline();
      // Wide margin: a server that accepts answers at once; the old one never did.
      Task<std::string> bounded = wait_for(std::move(reading), 30.0);
      try {
        log.push_back(co_await std::move(bounded));
      } catch (const TimeoutError&) {
        log.push_back("no answer");
      }
      writer->close();
      co_await writer->wait_closed();
      server->close();
      co_await server->wait_closed();
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"hello\n", "hello\n"}));
}

TYPED_TEST(SizeArgumentsTest, MaxWorkersBelowOneRaisesValueErrorAndKeepsTheOldValue) {
  auto body = []() -> Task<Log> {
    ExecutorService* executor = get_running_loop().executor_service();
    executor->set_max_workers(3);
    Log log;
    for (int n : {0, -1}) {
      try {
        executor->set_max_workers(n);
        log.push_back("accepted");
      } catch (const ValueError& e) {
        log.push_back(e.what());
      }
    }
    log.push_back(std::to_string(executor->max_workers()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"max_workers must be greater than 0",
                                         "max_workers must be greater than 0", "3"}));
}

TEST(SizeArgumentsSimTest, PipeCapacityBelowOneRaisesValueError) {
  auto body = []() -> Task<Log> {
    sim::ProcessTable& table = sim::current_loop().processes();
    Log log;
    for (long bytes : {0L, -1L}) {
      try {
        table.set_pipe_capacity(bytes);
        log.push_back("accepted");
      } catch (const ValueError& e) {
        log.push_back(e.what());
      }
    }
    log.push_back(std::to_string(table.pipe_capacity()));
    co_return log;
  };
  EXPECT_EQ(testing::SimWorld::run(body()),
            (Log{"set_pipe_capacity: bytes must be > 0", "set_pipe_capacity: bytes must be > 0",
                 "65536"}));
}

}  // namespace
}  // namespace weft
