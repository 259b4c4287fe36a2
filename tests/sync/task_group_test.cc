// TaskGroup on both loops: waiting for children, the first failure cancelling siblings and the
// body, ExceptionGroup contents, parent cancellation, timeout scopes, cancel(), descriptions;
// then the object form (enter()/exit(), asyncio's `async with`): the same exit semantics,
// misuse as RuntimeError, and a group destroyed while entered.
// Bodies are lambdas capturing only by reference: g++ 12 may destroy a lambda temporary with
// non-trivial captures twice inside a co_await expression.
#include "runtime/sync/task_group.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/sync/event.h"
#include "tests/testing/worlds.h"

namespace weft {
namespace {

using Log = std::vector<std::string>;

template <class W>
class TaskGroupTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaskGroupTest, testing::Worlds, testing::WorldNames);
// The tests of TaskGroupFifoTest assert asyncio's own order (its FIFO ready queue: call_soon order, the
// order in which woken tasks resume, a new task's first step before its creator's next), so they
// run where that order holds: the real loop and the simulated one under fifo. The others also
// run under the random strategy.
template <class W>
class TaskGroupFifoTest : public ::testing::Test {};
TYPED_TEST_SUITE(TaskGroupFifoTest, testing::FifoWorlds, testing::WorldNames);

Task<void> child_ok(Log& log, std::string who, int yields) {
  for (int i = 0; i < yields; ++i) co_await sleep(0);
  log.push_back(absl::StrCat(who, " done"));
}

Task<int> child_value(int v) {
  co_await sleep(0);
  co_return v;
}

Task<void> child_fail(Log& log, std::string who, int yields) {
  for (int i = 0; i < yields; ++i) co_await sleep(0);
  log.push_back(absl::StrCat(who, " fails"));
  throw std::runtime_error(who);
}

Task<void> child_forever(Log& log, std::string who, Event& never) {
  try {
    co_await never.wait();
  } catch (const CancelledError&) {
    log.push_back(absl::StrCat(who, " cancelled"));
    throw;
  }
}

std::string group_summary(const ExceptionGroup& eg) {
  std::string out = absl::StrCat(eg.message(), ":");
  for (const auto& e : eg.exceptions()) absl::StrAppend(&out, " [", describe_exception(e), "]");
  return out;
}

Task<void> settle(AnyTask t) {
  try {
    co_await t;
  } catch (const CancelledError&) {
    // Expected: the tests check the log and t.cancelled().
  }
}

TYPED_TEST(TaskGroupTest, LeavingTheScopeWaitsForEveryChild) {
  auto body = []() -> Task<Log> {
    Log log;
    TaskHandle<int> value;
    co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
      tg.create_task(child_ok(log, "a", 2));
      tg.create_task(child_ok(log, "b", 1));
      value = tg.create_task(child_value(42));
      log.push_back(absl::StrCat("body done, ", tg.size(), " running"));
      co_return;
    });
    log.push_back(absl::StrCat("after, value ", value.result()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"body done, 3 running", "b done", "a done", "after, value 42"}));
}

TYPED_TEST(TaskGroupFifoTest, FirstFailureCancelsSiblingsAndBody) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    try {
      co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
        tg.create_task(child_forever(log, "sibling", never));
        tg.create_task(child_fail(log, "bad", 1));
        try {
          co_await never.wait();
        } catch (const CancelledError&) {
          log.push_back("body cancelled");
          throw;
        }
      });
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    co_await sleep(0);  // the group took back its cancellation of this task
    log.push_back(absl::StrCat("parent cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(
      TypeParam::run(body()),
      (Log{"bad fails", "sibling cancelled", "body cancelled",
           "unhandled errors in a TaskGroup: [std::runtime_error: bad]", "parent cancelling=0"}));
}

TYPED_TEST(TaskGroupFifoTest, EveryFailureIsCollectedInOrder) {
  auto body = []() -> Task<Log> {
    Log log;
    try {
      co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
        tg.create_task(child_fail(log, "x", 1));
        tg.create_task(child_fail(log, "y", 1));
        tg.create_task(child_ok(log, "z", 3));
        co_return;
      });
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    co_return log;
  };
  // z never finishes: the group cancels it after x's failure.
  EXPECT_EQ(
      TypeParam::run(body()),
      (Log{"x fails", "y fails",
           "unhandled errors in a TaskGroup: [std::runtime_error: x] [std::runtime_error: y]"}));
}

TYPED_TEST(TaskGroupFifoTest, BodyFailureCancelsChildrenAndIsReported) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    try {
      co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
        tg.create_task(child_forever(log, "child", never));
        co_await sleep(0);
        throw ValueError("body");
      });
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"child cancelled", "unhandled errors in a TaskGroup: [weft::ValueError: body]"}));
}

Task<void> group_forever(Log& log, Event& never) {
  co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
    tg.create_task(child_forever(log, "child", never));
    try {
      co_await never.wait();
    } catch (const CancelledError&) {
      log.push_back("body cancelled");
      throw;
    }
  });
  log.push_back("not reached");
}

TYPED_TEST(TaskGroupFifoTest, ParentCancellationCancelsChildrenAndPropagates) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    auto p = create_task(group_forever(log, never));
    co_await sleep(0);
    co_await sleep(0);
    p.cancel();
    co_await settle(p);
    log.push_back(absl::StrCat("parent cancelled=", p.cancelled()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"body cancelled", "child cancelled", "parent cancelled=1"}));
}

TYPED_TEST(TaskGroupTest, TimeoutScopeAroundTheGroupRaisesTimeoutError) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    Task<void> group = TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
      tg.create_task(child_forever(log, "child", never));
      co_await never.wait();
    });
    Task<void> scoped = timeout(0.002, std::move(group));
    try {
      co_await std::move(scoped);
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    }
    log.push_back(absl::StrCat("cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"child cancelled", "TimeoutError", "cancelling=0"}));
}

TYPED_TEST(TaskGroupTest, ChildFailureInsideATimeoutScopeIsNoTimeout) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    Task<void> group = TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
      tg.create_task(child_fail(log, "bad", 1));
      co_await never.wait();
    });
    Task<void> scoped = timeout(60.0, std::move(group));
    try {
      co_await std::move(scoped);
    } catch (const TimeoutError&) {
      log.push_back("TimeoutError");
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    log.push_back(absl::StrCat("cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"bad fails", "unhandled errors in a TaskGroup: [std::runtime_error: bad]",
                 "cancelling=0"}));
}

TYPED_TEST(TaskGroupTest, TimeoutScopeInsideTheBodyLeavesTheGroupRunning) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    Event go;  // set once the body has timed out: the child is still running then, on any machine
    co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
      tg.create_task([](Log& l, Event& e) -> Task<void> {
        Task<void> wait_go = e.wait();
        co_await std::move(wait_go);
        l.push_back("child done");
      }(log, go));
      Task<void> wait = never.wait();
      Task<void> scoped = timeout(0.001, std::move(wait));
      try {
        co_await std::move(scoped);
      } catch (const TimeoutError&) {
        log.push_back("body timed out");
      }
      go.set();
    });
    log.push_back("after");
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"body timed out", "child done", "after"}));
}

TYPED_TEST(TaskGroupTest, CreateTaskWhileShuttingDownRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    try {
      co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
        tg.create_task(child_fail(log, "bad", 1));
        try {
          co_await never.wait();
        } catch (const CancelledError&) {
          try {
            tg.create_task(child_ok(log, "late", 0));
          } catch (const RuntimeError& e) {
            log.push_back(e.what());
          }
          throw;
        }
      });
    } catch (const ExceptionGroup& eg) {
      log.push_back(absl::StrCat(eg.exceptions().size(), " error"));
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"bad fails", "TaskGroup is shutting down", "1 error"}));
}

TYPED_TEST(TaskGroupFifoTest, CancelStopsEverythingAndReturnsNormally) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> {
      tg.create_task(child_forever(log, "child", never));
      co_await sleep(0);
      tg.cancel();
      try {
        co_await never.wait();
      } catch (const CancelledError&) {
        log.push_back("body cancelled");
        throw;
      }
    });
    co_await sleep(0);
    log.push_back(absl::StrCat("returned, cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"child cancelled", "body cancelled", "returned, cancelling=0"}));
}

TYPED_TEST(TaskGroupTest, NestedGroupFailurePropagatesOutward) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    try {
      co_await TaskGroup::run([&](TaskGroup& outer) -> Task<void> {
        outer.create_task(child_forever(log, "outer child", never));
        co_await TaskGroup::run([&](TaskGroup& inner) -> Task<void> {
          inner.create_task(child_fail(log, "inner bad", 1));
          co_await never.wait();
        });
      });
    } catch (const ExceptionGroup& eg) {
      log.push_back(absl::StrCat(eg.exceptions().size(), " error"));
      try {
        std::rethrow_exception(eg.exceptions().at(0));
      } catch (const ExceptionGroup& inner) {
        log.push_back(absl::StrCat("inner: ", group_summary(inner)));
      }
    }
    log.push_back(absl::StrCat("cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"inner bad fails", "outer child cancelled", "1 error",
                 "inner: unhandled errors in a TaskGroup: [std::runtime_error: inner bad]",
                 "cancelling=0"}));
}

Task<void> named_group(Log& log, Event& never) {
  co_await TaskGroup::run("workers", [&](TaskGroup& tg) -> Task<void> {
    tg.create_task(child_forever(log, "w1", never));
    tg.create_task(child_forever(log, "w2", never));
    co_return;
  });
}

TYPED_TEST(TaskGroupFifoTest, ExitDescribesWhatItWaitsFor) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    auto p = create_task(named_group(log, never));
    co_await sleep(0);
    co_await sleep(0);
    log.push_back(p.core()->waiting_on());
    p.cancel();
    co_await settle(p);
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"TaskGroup.exit on 'workers' (2 tasks running)", "w1 cancelled", "w2 cancelled"}));
}

// ---- The object form: TaskGroup tg; co_await tg.enter(); ...; co_await tg.exit(error); ----

TYPED_TEST(TaskGroupTest, ObjectFormExitWaitsForEveryChild) {
  auto body = []() -> Task<Log> {
    Log log;
    TaskGroup tg("g");
    co_await tg.enter();
    tg.create_task(child_ok(log, "a", 2));
    tg.create_task(child_ok(log, "b", 1));
    TaskHandle<int> value = tg.create_task(child_value(42));
    log.push_back(absl::StrCat("body done, ", tg.size(), " running"));
    co_await tg.exit();
    log.push_back(absl::StrCat("after, value ", value.result(), ", ", tg.size(), " running"));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"body done, 3 running", "b done", "a done", "after, value 42, 0 running"}));
}

// The scope's exception goes to exit(), as in asyncio's __aexit__: the cancellation the group
// caused is taken back, and the child's failure leaves as an ExceptionGroup.
TYPED_TEST(TaskGroupFifoTest, ObjectFormFirstFailureCancelsSiblingsAndTheScope) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    TaskGroup tg;
    co_await tg.enter();
    std::exception_ptr error;
    try {
      tg.create_task(child_forever(log, "sibling", never));
      tg.create_task(child_fail(log, "bad", 1));
      co_await never.wait();
    } catch (const CancelledError&) {
      log.push_back("scope cancelled");
      error = std::current_exception();
    }
    try {
      co_await tg.exit(error);
      log.push_back("exit returned");
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    co_await sleep(0);
    log.push_back(absl::StrCat("parent cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(
      TypeParam::run(body()),
      (Log{"bad fails", "sibling cancelled", "scope cancelled",
           "unhandled errors in a TaskGroup: [std::runtime_error: bad]", "parent cancelling=0"}));
}

TYPED_TEST(TaskGroupFifoTest, ObjectFormScopeErrorCancelsChildrenAndIsReportedLast) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    TaskGroup tg;
    co_await tg.enter();
    std::exception_ptr error;
    try {
      tg.create_task(child_forever(log, "child", never));
      co_await sleep(0);
      throw ValueError("scope");
    } catch (...) {
      error = std::current_exception();
    }
    try {
      co_await tg.exit(error);
    } catch (const ExceptionGroup& eg) {
      log.push_back(group_summary(eg));
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"child cancelled", "unhandled errors in a TaskGroup: [weft::ValueError: scope]"}));
}

Task<void> object_group_forever(Log& log, Event& never) {
  TaskGroup tg;
  co_await tg.enter();
  std::exception_ptr error;
  try {
    tg.create_task(child_forever(log, "child", never));
    co_await never.wait();
  } catch (const CancelledError&) {
    log.push_back("scope cancelled");
    error = std::current_exception();
  }
  try {
    co_await tg.exit(error);
  } catch (const CancelledError&) {
    log.push_back("exit raised CancelledError");
    throw;
  }
  log.push_back("not reached");
}

TYPED_TEST(TaskGroupFifoTest, ObjectFormParentCancellationPropagatesFromExit) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    auto p = create_task(object_group_forever(log, never));
    co_await sleep(0);
    co_await sleep(0);
    p.cancel();
    co_await settle(p);
    log.push_back(absl::StrCat("parent cancelled=", p.cancelled()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()), (Log{"scope cancelled", "child cancelled",
                                         "exit raised CancelledError", "parent cancelled=1"}));
}

// asyncio's create_task on a group not entered / finished raises RuntimeError and never runs
// the coroutine.
TYPED_TEST(TaskGroupTest, CreateTaskBeforeEnterOrAfterExitRaisesRuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    TaskGroup tg("g");
    try {
      tg.create_task(child_ok(log, "early", 0));
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_await tg.enter();
    tg.create_task(child_ok(log, "inside", 0));
    co_await tg.exit();
    try {
      tg.create_task(child_ok(log, "late", 0));
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_await sleep(0);
    TaskGroup unnamed;
    try {
      unnamed.create_task(child_ok(log, "unnamed", 0));
    } catch (const RuntimeError& e) {
      log.push_back(e.what());
    }
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"TaskGroup 'g' has not been entered", "inside done", "TaskGroup 'g' is finished",
                 "TaskGroup has not been entered"}));
}

Task<void> exit_from_here(TaskGroup& tg, Log& log) {
  try {
    co_await tg.exit();
  } catch (const RuntimeError& e) {
    log.push_back(e.what());
  }
}

TYPED_TEST(TaskGroupTest, MisuseOfTheObjectFormIsARuntimeError) {
  auto body = []() -> Task<Log> {
    Log log;
    TaskGroup tg("g");
    try {
      co_await tg.exit();
    } catch (const RuntimeError& e) {
      log.push_back(absl::StrCat("exit before enter: ", e.what()));
    }
    co_await tg.enter();
    try {
      co_await tg.enter();
    } catch (const RuntimeError& e) {
      log.push_back(absl::StrCat("enter twice: ", e.what()));
    }
    auto other = create_task(exit_from_here(tg, log), "other");
    co_await other;
    tg.create_task(child_ok(log, "child", 1));  // the group still works after the refusals
    co_await tg.exit();
    try {
      co_await tg.exit();
    } catch (const RuntimeError& e) {
      log.push_back(absl::StrCat("exit twice: ", e.what()));
    }
    try {
      co_await tg.enter();
    } catch (const RuntimeError& e) {
      log.push_back(absl::StrCat("enter after exit: ", e.what()));
    }
    co_return log;
  };
  auto main = [](Task<Log> b) -> Task<Log> {
    current_task().set_name("main");
    co_return co_await std::move(b);
  };
  EXPECT_EQ(TypeParam::run(main(body())),
            (Log{"exit before enter: TaskGroup 'g' has not been entered",
                 "enter twice: TaskGroup 'g' has already been entered",
                 "TaskGroup 'g' must be exited by the task that entered it ('main'), not by "
                 "'other'",
                 "child done", "exit twice: TaskGroup 'g' has already been exited",
                 "enter after exit: TaskGroup 'g' has already been entered"}));
}

// No async destructor in C++: a group left without exit() cannot wait. It cancels its children
// and says so through the loop's exception handler; nothing crashes and nothing leaks.
TYPED_TEST(TaskGroupFifoTest, GroupDestroyedWhileEnteredCancelsChildrenAndReports) {
  auto body = []() -> Task<Log> {
    Log log;
    Event never;
    get_running_loop().set_exception_handler([&log](EventLoop&, const ExceptionContext& c) {
      log.push_back(absl::StrCat("handler: ", c.message, " (task '", c.task_name,
                                 "', exception: ", c.exception ? "yes" : "none", ")"));
    });
    try {
      TaskGroup tg("leaky");
      co_await tg.enter();
      tg.create_task(child_forever(log, "c1", never));
      tg.create_task(child_forever(log, "c2", never));
      co_await sleep(0);
      throw ValueError("skips exit");
    } catch (const ValueError& e) {
      log.push_back(absl::StrCat("caught ", e.what()));
    }
    for (int i = 0; i < 3; ++i) co_await sleep(0);
    {
      TaskGroup forgotten;  // never exited, no children
      co_await forgotten.enter();
    }
    {
      TaskGroup never_entered;  // nothing to report
    }
    co_return log;
  };
  auto main = [](Task<Log> b) -> Task<Log> {
    current_task().set_name("main");
    co_return co_await std::move(b);
  };
  EXPECT_EQ(TypeParam::run(main(body())),
            (Log{"handler: TaskGroup 'leaky' was destroyed while entered, without exit(): "
                 "cancelled 2 unfinished tasks (task 'main', exception: none)",
                 "caught skips exit", "c1 cancelled", "c2 cancelled",
                 "handler: TaskGroup was destroyed while entered, without exit(): cancelled 0 "
                 "unfinished tasks (task 'main', exception: none)"}));
}

// A child that failed before the group was dropped is not lost: its error comes with the report.
TYPED_TEST(TaskGroupTest, GroupDestroyedWhileEnteredReportsChildErrors) {
  auto body = []() -> Task<Log> {
    Log log;
    get_running_loop().set_exception_handler([&log](EventLoop&, const ExceptionContext& c) {
      std::string what = "none";
      try {
        if (c.exception) std::rethrow_exception(c.exception);
      } catch (const ExceptionGroup& eg) {
        what = group_summary(eg);
      } catch (...) {
        what = "other";
      }
      log.push_back(absl::StrCat("handler: ", c.message, " / ", what));
    });
    try {
      TaskGroup tg;
      co_await tg.enter();
      tg.create_task(child_fail(log, "bad", 0));
      co_await sleep(1);  // the failure cancels this wait
    } catch (const CancelledError&) {
      log.push_back("scope cancelled, exit skipped");
    }
    co_await sleep(0);
    log.push_back(absl::StrCat("cancelling=", current_task().cancelling()));
    co_return log;
  };
  EXPECT_EQ(TypeParam::run(body()),
            (Log{"bad fails",
                 "handler: TaskGroup was destroyed while entered, without exit(): cancelled 0 "
                 "unfinished tasks / unhandled errors in a TaskGroup: [std::runtime_error: bad]",
                 "scope cancelled, exit skipped", "cancelling=0"}));
}

// The two forms share exit(): under random schedules the same seed gives the same story.
Task<void> scope_body(TaskGroup& tg, Log& log) {
  tg.create_task(child_ok(log, "ok", 2));
  tg.create_task(child_fail(log, "bad", 3));
  tg.create_task([](Log& l) -> Task<void> {
    try {
      co_await sleep(1);
      l.push_back("sleeper done");
    } catch (const CancelledError&) {
      l.push_back("sleeper cancelled");
      throw;
    }
  }(log));
  for (int i = 0; i < 2; ++i) co_await sleep(0);
  log.push_back(absl::StrCat("body done, ", tg.size(), " running"));
}

Task<std::string> run_form() {
  Log log;
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Task<void> { return scope_body(tg, log); });
  } catch (const ExceptionGroup& eg) {
    log.push_back(group_summary(eg));
  } catch (const CancelledError&) {
    log.push_back("CancelledError");
  }
  co_return absl::StrJoin(log, "; ");
}

Task<std::string> object_form() {
  Log log;
  TaskGroup tg;
  co_await tg.enter();
  std::exception_ptr error;
  try {
    co_await scope_body(tg, log);
  } catch (...) {
    error = std::current_exception();
  }
  try {
    co_await tg.exit(error);
  } catch (const ExceptionGroup& eg) {
    log.push_back(group_summary(eg));
  } catch (const CancelledError&) {
    log.push_back("CancelledError");
  }
  co_return absl::StrJoin(log, "; ");
}

TEST(TaskGroupSimTest, ObjectFormAndRunAgreeUnderRandomSchedules) {
  std::set<std::string> stories;
  for (uint64_t seed = 0; seed < 500; ++seed) {
    const sim::SimConfig config{.seed = seed, .strategy = sim::Strategy::kRandom};
    auto a = sim::run(run_form(), config);
    auto b = sim::run(object_form(), config);
    ASSERT_EQ(a.value(), b.value()) << "seed " << seed;
    stories.insert(a.value());
  }
  EXPECT_GT(stories.size(), 2u);  // the schedules really differ
}

}  // namespace
}  // namespace weft
