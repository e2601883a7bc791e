#include "mimic/main_loop/main_loop.h"

#include <gtest/gtest.h>

#include <thread>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"

using namespace mimic;

namespace {

TEST(MainLoopTest, RunUntilExitFromTimer) {
    Timer t(Clock::kRealtime, [] { request_exit(ShutdownCause::kHostQmpQuit); });
    {
        BqlGuard bql;
        t.mod_ns(clock_get_ns(Clock::kRealtime) + 5 * kNsPerMs);
    }
    ExitRequest r = main_loop_run();  // takes the BQL itself
    EXPECT_EQ(r.cause, ShutdownCause::kHostQmpQuit);
    EXPECT_FALSE(bql_locked());
    EXPECT_FALSE(exit_requested());
}

TEST(MainLoopTest, FirstRequestWins) {
    BqlGuard bql;
    request_exit(ExitRequest{ShutdownCause::kHostSignal, 15, 42});
    request_exit(ShutdownCause::kGuestShutdown);
    ExitRequest r = main_loop_run();
    EXPECT_EQ(r.cause, ShutdownCause::kHostSignal);
    EXPECT_EQ(r.signal, 15);
    EXPECT_EQ(r.pid, 42);
    EXPECT_TRUE(bql_locked());
}

TEST(MainLoopTest, ExitFromOtherThreadWakesLoop) {
    std::thread t([] {
        timespec ts{0, 20 * 1000000L};
        nanosleep(&ts, nullptr);
        request_exit(ShutdownCause::kGuestShutdown);
    });
    int64_t start = clock_get_ns(Clock::kRealtime);
    ExitRequest r = main_loop_run();
    t.join();
    EXPECT_EQ(r.cause, ShutdownCause::kGuestShutdown);
    EXPECT_LT(clock_get_ns(Clock::kRealtime) - start, 5 * kNsPerSec);
}

TEST(MainLoopTest, BqlDroppedWhilePolling) {
    // A vCPU-like thread must get the lock while the loop sleeps.
    bool got_lock = false;
    std::thread vcpu([&] {
        BqlGuard bql;
        got_lock = true;
        request_exit(ShutdownCause::kGuestShutdown);
    });
    main_loop_run();
    vcpu.join();
    EXPECT_TRUE(got_lock);
}

TEST(MainLoopTest, CauseNames) {
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kHostSignal), "host-signal");
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kHostQmpQuit), "host-qmp-quit");
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kGuestShutdown), "guest-shutdown");
}

}  // namespace
