#include "mimic/main_loop/main_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "mimic/main_loop/bottom_half.h"

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"

using namespace mimic;

namespace {

bool bhs_pending(const std::vector<std::unique_ptr<BottomHalf>>& bhs) {
    for (auto& bh : bhs) {
        if (bh->scheduled()) return true;
    }
    return false;
}

bool timers_pending(const std::vector<std::unique_ptr<Timer>>& timers) {
    for (auto& t : timers) {
        if (t->pending()) return true;
    }
    return false;
}

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

TEST(MainLoopTest, ManyThreadsSchedulingAndArmingTimers) {
    // vCPU-like threads hammer the loop with bottom halves and timers
    // (under the BQL, as device code would) while it runs; everything
    // scheduled must run and nothing may deadlock.
    constexpr int kThreads = 4;
    constexpr int kRounds = 200;
    std::atomic<int> bh_runs{0};
    std::atomic<int> timer_runs{0};
    std::vector<std::unique_ptr<BottomHalf>> bhs;
    std::vector<std::unique_ptr<Timer>> timers;
    for (int i = 0; i < kThreads; i++) {
        bhs.push_back(std::make_unique<BottomHalf>([&] { bh_runs++; }));
        timers.push_back(std::make_unique<Timer>(Clock::kRealtime, [&] { timer_runs++; }));
    }
    std::atomic<int> finished{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++) {
        threads.emplace_back([&, i] {
            for (int round = 0; round < kRounds; round++) {
                bhs[i]->schedule();
                {
                    BqlGuard bql;
                    timers[i]->mod_ns(clock_get_ns(Clock::kRealtime) + 1000);
                }
                std::this_thread::yield();
            }
            finished++;
        });
    }
    int64_t start = clock_get_ns(Clock::kRealtime);
    {
        BqlGuard bql;
        while ((finished < kThreads || bhs_pending(bhs) || timers_pending(timers)) &&
               clock_get_ns(Clock::kRealtime) - start < 10 * kNsPerSec) {
            main_loop_wait(10 * kNsPerMs);
        }
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(finished, kThreads);
    EXPECT_GE(bh_runs, kThreads);      // coalesced, but at least once each
    EXPECT_GE(timer_runs, kThreads);   // the last arming of each fired
    BqlGuard bql;
    for (auto& t : timers) EXPECT_FALSE(t->pending());
}

TEST(MainLoopTest, CauseNames) {
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kHostSignal), "host-signal");
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kHostQmpQuit), "host-qmp-quit");
    EXPECT_STREQ(shutdown_cause_name(ShutdownCause::kGuestShutdown), "guest-shutdown");
}

}  // namespace
